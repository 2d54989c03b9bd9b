"""Django admin for the raw run models."""

from django.contrib import admin

from .models import App, Attempt, BulkAction, CronTrigger, Function, QueueItem, Run, Step

admin.site.register([App, Function, Attempt, QueueItem, CronTrigger])


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "function", "status", "origin", "queued_at", "ended_at"]
    list_filter = ["status", "origin"]
    raw_id_fields = ["event", "source_run", "invoked_by"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["run", "name", "opcode", "status", "attempts", "started_at"]


@admin.register(BulkAction)
class BulkActionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "total",
        "done",
        "skipped",
        "requested_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]
