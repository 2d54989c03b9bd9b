"""Django admin for the raw run models."""

from django.contrib import admin

from .models import App, Attempt, Function, QueueItem, Run, Step

admin.site.register([App, Function, Attempt, QueueItem])


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "function", "status", "queued_at", "ended_at"]
    list_filter = ["status"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["run", "name", "opcode", "status", "attempts", "started_at"]
