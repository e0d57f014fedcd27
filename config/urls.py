from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from core.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("", include("sales.urls")),
    path("", include("credit.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]

# A database that goes away for a moment is a 503 "try again", not a 500 (core/errors.py).
handler500 = "core.errors.server_error"

admin.site.site_header = _("Back office administration")
