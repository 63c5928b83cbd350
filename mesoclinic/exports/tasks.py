"""The export runs in `mesoclinic worker`, not in the request."""

from django_tasks import task

from mesoclinic.exports import services


@task()
def build_export(job_id: int, sealed_passphrase: str) -> str:
    return services.run(job_id, services.open_passphrase(sealed_passphrase)).status
