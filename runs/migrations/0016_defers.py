# The defers of runs (runs/defer.py) and the "defer" subject of status changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0015_step_memo_size_attempt_started_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="statuschange",
            name="subject",
            field=models.CharField(
                choices=[("run", "Run"), ("step", "Step"), ("bulk", "Bulk"), ("defer", "Defer")],
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="Defer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hashed_id", models.CharField(max_length=64)),
                ("name", models.CharField(blank=True, default="", max_length=1024)),
                ("fn_slug", models.CharField(max_length=255)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("AfterRun", "After Run"),
                            ("Aborted", "Aborted"),
                            ("Rejected", "Rejected"),
                            ("Scheduled", "Scheduled"),
                        ],
                        max_length=16,
                    ),
                ),
                ("input", models.JSONField(blank=True, null=True)),
                ("input_size", models.PositiveIntegerField(default=0)),
                ("meta", models.JSONField(blank=True, null=True)),
                ("reason", models.CharField(blank=True, default="", max_length=32)),
                ("event_id", models.CharField(blank=True, default="", max_length=26)),
                ("created_at", models.DateTimeField()),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="defers",
                        to="runs.run",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "hashed_id"), name="unique_defer_per_run"
                    )
                ],
            },
        ),
    ]
