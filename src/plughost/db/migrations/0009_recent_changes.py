"""The state row keeps what its last changes did (``RegistryState.recent_changes``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plugin", "0008_metadata_notify"),
    ]

    operations = [
        migrations.AddField(
            model_name="registrystate",
            name="recent_changes",
            field=models.TextField(blank=True, default=""),
        ),
    ]
