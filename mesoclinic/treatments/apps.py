from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TreatmentsConfig(AppConfig):
    name = "mesoclinic.treatments"

    def ready(self) -> None:
        from mesoclinic.plans import services
        from mesoclinic.treatments.contents import sync_after_migrate
        from mesoclinic.treatments.exposure import history_for

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="product-contents")
        # Plans count the patient's charted record without importing this app.
        services.history_source = lambda patient, plan: history_for(patient, exclude_plan=plan)
