from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mesoclinic.web"

    def ready(self) -> None:
        # A malformed clinical data file must stop the server at start, naming the
        # file and field, rather than fail on the first plan a practitioner opens.
        from mesoclinic import rules

        rules.load_reference()
