"""The server's settings: initializationOptions, then workspace/configuration, merged by
``core.config``; a change rebuilds the in-memory workspace when it shapes what is gathered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls import uris

from bigpicture.app import prepare as pipeline
from bigpicture.core import config as configuration
from bigpicture.core.gather.workspace import LiveWorkspace
from bigpicture.lsp.messages import log, log_msg, show
from bigpicture.lsp.state import BigPictureServer


def on_initialize(ls: BigPictureServer, params: lsp.InitializeParams) -> None:
    st = ls.state
    opts = params.initialization_options
    if isinstance(opts, dict):
        st.init_options = (
            opts.get("bigpicture", opts) if isinstance(opts.get("bigpicture"), dict) else opts
        )
    folder = None
    if params.workspace_folders:
        folder = uris.to_fs_path(params.workspace_folders[0].uri)
    elif params.root_uri:
        folder = uris.to_fs_path(params.root_uri)
    elif params.root_path:
        folder = params.root_path
    if folder:
        st.root = Path(folder).resolve()
    _apply_settings(ls, announce=False)


def _supports_configuration(ls: BigPictureServer) -> bool:
    ws = ls.client_capabilities.workspace
    return bool(ws and ws.configuration)


def _apply_settings(ls: BigPictureServer, *, announce: bool = True) -> None:
    st = ls.state
    layers: list[tuple[str, dict[str, Any] | None]] = [
        ("initializationOptions", st.init_options),
        ("workspace/configuration", st.client_settings),
    ]
    if st.root is None:
        settings, warnings = configuration.Settings(), list[str]()
        for origin, values in layers:
            settings = configuration.merge(settings, values, origin=origin, warnings=warnings)
    else:
        settings, warnings = configuration.load(st.root, *layers)
    old = st.settings
    st.settings = settings
    if warnings and announce and warnings != st.settings_warnings:
        show(ls, "; ".join(warnings), lsp.MessageType.Warning)
    st.settings_warnings = warnings
    for w in warnings:
        log.warning(w)
    st.cost_warned = False
    if st.root is not None and (
        st.live is None
        or (old.include, old.exclude, old.maxFileSize)
        != (settings.include, settings.exclude, settings.maxFileSize)
    ):
        st.live = LiveWorkspace(st.root, settings, gather=pipeline.gather_all)
    elif st.live is not None:
        st.live.settings = settings


async def reload_settings(ls: BigPictureServer, pushed: Any = None) -> None:
    st = ls.state
    if _supports_configuration(ls):
        try:
            res = await ls.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="bigpicture")])
            )
            value = res[0] if res else None
            st.client_settings = value if isinstance(value, dict) else {}
        except Exception as e:
            log_msg(ls, f"workspace/configuration failed: {e}", lsp.MessageType.Warning)
    elif isinstance(pushed, dict):
        inner = pushed.get("bigpicture", pushed)
        st.client_settings = inner if isinstance(inner, dict) else {}
    _apply_settings(ls)
