"""Single-column indexes that a composite index already leads with (or that hold a NULL for
almost every row) are dropped: each was one more B-tree written for every step, status change
or run. Dropped by name, not through AlterField, which on SQLite copies the whole table once
per field (minutes at a million runs); the `_like` twins exist on Postgres only."""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = [
    "runs_run_status_7f93e232",
    "runs_run_status_7f93e232_like",
    "runs_run_function_id_69adb426",
    "runs_run_invoked_by_id_29de8eb4",
    "runs_run_source_run_id_83595ddc",
    "runs_run_source_run_id_83595ddc_like",
    "runs_step_run_id_2764751d",
    "runs_step_run_id_2764751d_like",
    "runs_statuschange_run_id_db557ddd",
    "runs_statuschange_run_id_db557ddd_like",
    "runs_statuschange_bulk_id_201d231d",
]
RECREATED = [
    ("runs_run_status_7f93e232", "runs_run", "status"),
    ("runs_run_function_id_69adb426", "runs_run", "function_id"),
    ("runs_run_invoked_by_id_29de8eb4", "runs_run", "invoked_by_id"),
    ("runs_run_source_run_id_83595ddc", "runs_run", "source_run_id"),
    ("runs_step_run_id_2764751d", "runs_step", "run_id"),
    ("runs_statuschange_run_id_db557ddd", "runs_statuschange", "run_id"),
    ("runs_statuschange_bulk_id_201d231d", "runs_statuschange", "bulk_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("runs", "0018_connect_sessions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="run",
                    name="function",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="runs.function",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="invoked_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="invoked_runs",
                        to="runs.step",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="source_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="derived_runs",
                        to="runs.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("Queued", "Queued"),
                            ("Running", "Running"),
                            ("Sleeping", "Sleeping"),
                            ("Waiting", "Waiting"),
                            ("Completed", "Completed"),
                            ("Failed", "Failed"),
                            ("Cancelled", "Cancelled"),
                        ],
                        default="Queued",
                        max_length=16,
                    ),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="bulk",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="runs.bulkaction",
                    ),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="runs.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="step",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="runs.run",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name in DROPPED],
                    reverse_sql=[
                        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")'
                        for name, table, column in RECREATED
                    ],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(
                condition=models.Q(("invoked_by__isnull", False)),
                fields=["invoked_by"],
                name="run_invoked_by",
            ),
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(
                condition=models.Q(("source_run__isnull", False)),
                fields=["source_run"],
                name="run_source_run",
            ),
        ),
        migrations.AddIndex(
            model_name="statuschange",
            index=models.Index(
                condition=models.Q(("bulk__isnull", False)),
                fields=["bulk"],
                name="status_change_by_bulk",
            ),
        ),
    ]
