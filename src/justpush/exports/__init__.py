"""Exports of a deployment for tools other than JustPush: a Terraform module (pure generators)."""

from ._terraform import TerraformOptions, render_terraform

__all__ = ["TerraformOptions", "render_terraform"]
