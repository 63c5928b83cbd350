from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "mesoclinic.treatments"

    def ready(self) -> None:
        # Plans count the patient's charted record without importing this app.
        from mesoclinic.plans import services
        from mesoclinic.treatments.exposure import history_for

        services.history_source = lambda patient, plan: history_for(patient, exclude_plan=plan)
