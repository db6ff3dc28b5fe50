/* Small page behaviours, without inline handlers (the Content-Security-Policy allows no inline script):
   data-autosubmit submits its form on change, data-confirm asks before a form is sent,
   data-select-on-focus selects an input's text when it gets focus. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-select-on-focus]")) el.select();
  });
})();
