from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ekyam import account_views, health, views
from ekyam.api import views as api_views
from ekyam.api.errors import json_error_view

router = DefaultRouter()
router.register("api-keys", api_views.ApiKeyViewSet, basename="api-key")
router.register("members", api_views.MembershipViewSet, basename="member")
router.register("invitations", api_views.InvitationViewSet, basename="invitation")

admin.site.site_header = "Ekyam operator console"
admin.site.site_title = "Ekyam"
admin.site.index_title = "Operations"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", account_views.signup, name="signup"),
    path("welcome/", account_views.welcome, name="welcome"),
    path("organizations/new/", account_views.new_organization, name="organization-new"),
    path("invite/<str:token>/", account_views.invitation, name="invitation-accept"),
    *[path(route, view, name=name) for route, view, name in account_views.password_reset_urls],
    path("org/switch/", views.switch_org, name="switch-org"),
    path("settings/api-keys/", views.api_keys, name="settings-api-keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.revoke_api_key, name="settings-api-key-revoke"),
    path("settings/members/", views.members, name="settings-members"),
    path("settings/members/<int:pk>/role/", views.member_role, name="settings-member-role"),
    path("settings/members/<int:pk>/remove/", views.member_remove, name="settings-member-remove"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="settings-invitation-revoke"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/organization/", api_views.OrganizationView.as_view(), name="organization"),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("connectors.api_urls")),
    path("api/v1/", include("connectors.mapping.api_urls")),
    path("api/v1/", include("workflows.api_urls")),
    path("api/v1/", include("workflows.reconcile.api_urls")),
    path("api/v1/", include("webhooks.api_urls")),
    path("hooks/", include("connectors.inbound_urls")),
    path("", include("connectors.urls")),
    path("", include("connectors.mapping.urls")),
    path("", include("workflows.reconcile.urls")),  # before workflows/<pk>/<command>/
    path("", include("workflows.urls")),
    path("setup/", include("workflows.wizard.urls")),
    path("", include("webhooks.urls")),
]

handler403 = "ekyam.views.permission_denied"
handler404 = "ekyam.urls.api_aware_404"
handler500 = "ekyam.urls.api_aware_500"


def api_aware_404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error_view(404, "not_found", "Not found.")(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def api_aware_500(request):
    if request.path.startswith("/api/"):
        return json_error_view(500, "server_error", "An unexpected error occurred. It has been logged.")(request)
    from django.views.defaults import server_error

    return server_error(request)
