"""Roles are Django groups. Each app's data migrations grant its permissions through these
helpers, so a later issue adds a permission to a role with a migration of its own."""

CASHIER = "Cashier"
MANAGER = "Manager"
ADMIN = "Admin"
ROLES = (CASHIER, MANAGER, ADMIN)


def ensure_permissions_exist(apps) -> None:
    """Permissions are normally created after all migrations ran; a data migration that grants
    them needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # create_permissions skips app configs without a models module; a migration's
        # historical app configs have none, so lend one for the call.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module


def grant(apps, role: str, permission_names: list[str]) -> None:
    """Give `role` the permissions named "app_label.codename" (creating the role if needed)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=role)
    for name in permission_names:
        app_label, codename = name.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, role: str, permission_names: list[str]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=role).first()
    if group is None:
        return
    for name in permission_names:
        app_label, codename = name.split(".")
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )


def role_grant_functions(role_permissions: dict[str, list[str]]):
    """The forward and backward functions of a data migration that gives each role its
    permissions: `RunPython(*role_grant_functions({CASHIER: [...], MANAGER: [...]}))`."""

    def grant_all(apps, schema_editor):
        ensure_permissions_exist(apps)
        for role, permissions in role_permissions.items():
            grant(apps, role, permissions)

    def revoke_all(apps, schema_editor):
        for role, permissions in role_permissions.items():
            revoke(apps, role, permissions)

    return grant_all, revoke_all
