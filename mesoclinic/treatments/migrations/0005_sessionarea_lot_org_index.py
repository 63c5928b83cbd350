"""Recall search at scale: count and list a lot's charted areas from the index alone.

`make bench` at 100,000 patients showed the recall page counting a busy lot's
~30,000 charted areas by reading each row (whose charted points make it wide)
only to check its organization. With the organization in the lot index the
count is an index-only scan. The new index also serves every lookup the old
one did (lot first), so the old one goes.

CREATE/DROP INDEX does not rebuild the table: the immutability triggers of
0003 stay in place on SQLite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_adverse_event_voided_by")]

    operations = [
        migrations.AddIndex(
            model_name="sessionarea",
            index=models.Index(
                fields=["lot", "organization", "session"], name="sessionarea_lot_org"
            ),
        ),
        migrations.RemoveIndex(model_name="sessionarea", name="sessionarea_lot"),
    ]
