from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "mesoclinic.photos"

    def ready(self) -> None:
        """Sign-off waits for a course's baseline photos; treatments cannot import photos,
        so the check is registered with it here."""
        from mesoclinic.photos import capture
        from mesoclinic.treatments import sign_checks

        sign_checks.register(capture.baseline_problems)
