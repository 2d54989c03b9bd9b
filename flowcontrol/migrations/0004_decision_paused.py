"""Decision kind `paused`: an event a paused function skipped (runs/pausing.py). Choices only;
no column changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flowcontrol", "0003_decision_cancelled"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="kind",
            field=models.CharField(
                choices=[
                    ("rate_limited", "Rate Limited"),
                    ("idempotency_hit", "Idempotency Hit"),
                    ("debounced", "Debounced"),
                    ("batched", "Batched"),
                    ("throttled", "Throttled"),
                    ("singleton_skipped", "Singleton Skipped"),
                    ("singleton_cancelled", "Singleton Cancelled"),
                    ("cancelled", "Cancelled"),
                    ("paused", "Paused"),
                ],
                max_length=32,
            ),
        ),
    ]
