"""Step.memo_size (a run's state size without reading its memos: use_api) and
Step.attempt_started_at (the start of the attempt that produced a step's result)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("runs", "0014_cron_jitter_function_paused")]

    operations = [
        migrations.AddField(
            model_name="step",
            name="memo_size",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="step",
            name="attempt_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
