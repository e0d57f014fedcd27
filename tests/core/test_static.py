"""The production static files build: `collectstatic` with WhiteNoise's compressed manifest
storage (what `make serve` runs) succeeds, so a deploy cannot stop on a vendored file."""

from django.core.management import call_command


def test_collectstatic_with_the_production_storage(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    # Served compressed: shops' connections are slow.
    assert list(tmp_path.glob("vendor/bootstrap-5.3.9/bootstrap.min.*.css.gz"))
