// Progressive enhancement of the credential form: a field marked data-show-when-field="auth_method"
// data-show-when-value="oauth2" is shown only while that choice is selected. Without this script every
// field is visible. Hidden fields keep what was typed (switching back restores it).
(function () {
  "use strict";
  var form = document.querySelector("form.credential-form");
  if (!form) return;
  var dependents = form.querySelectorAll("[data-show-when-field]");
  var controllers = {};
  dependents.forEach(function (el) { controllers[el.dataset.showWhenField] = true; });

  function update() {
    dependents.forEach(function (el) {
      var control = form.elements[el.dataset.showWhenField];
      if (!control) return;
      el.hidden = control.value !== el.dataset.showWhenValue;
    });
  }

  Object.keys(controllers).forEach(function (name) {
    var control = form.elements[name];
    if (!control) return;
    control.setAttribute("aria-controls", Array.prototype.map.call(
      form.querySelectorAll('[data-show-when-field="' + name + '"] input, [data-show-when-field="' + name + '"] textarea'),
      function (input) { return input.id; }).join(" "));
    control.addEventListener("change", update);
  });
  update();
})();
