"""Keep what each state change did to the config rows (``StateChange``), for a while."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plugin", "0008_metadata_notify"),
    ]

    operations = [
        migrations.CreateModel(
            name="StateChange",
            fields=[
                ("version", models.BigIntegerField(primary_key=True, serialize=False)),
                ("change", models.CharField(blank=True, default="", max_length=300)),
            ],
        ),
    ]
