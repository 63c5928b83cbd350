from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TreatmentsConfig(AppConfig):
    name = "mesoclinic.treatments"

    def ready(self):
        from mesoclinic.treatments.contents import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="product-contents")
