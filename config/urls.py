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

admin.site.site_header = _("Back office administration")
