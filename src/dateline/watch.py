"""Watch a site's sources and report bursts of changes once they settle.

Only the folders that feed a build are watched (content, templates, static) plus
the config file, never the whole site: a site folder may also hold dist/, the
preview's build folder, a virtualenv or node_modules, and watching those would
cost thousands of inotify watches and trigger rebuilds from our own writes.

Two watchfiles watchers run side by side: one recursive over the source folders
that exist, one non-recursive over the site folder for the config file and for
source folders being created or removed (which restarts the first). Their
changes meet in one queue; a dispatcher thread waits until no change has
arrived for `quiet` seconds (editors save in bursts: temp file, rename, chmod)
and then calls `on_change` once with every path seen, so rebuilds never overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import watchfiles

OnChange = Callable[[frozenset[Path]], None]
# An empty batch every 100 ms tells us the watch is in place (see SourceWatcher.start).
_OPTIONS: dict[str, Any] = {
    "step": 50,
    "rust_timeout": 100,
    "yield_on_timeout": True,
    "raise_interrupt": False,
}


class SourceWatcher:
    """Calls `on_change(paths)` after each settled burst of changes below `root`."""

    def __init__(
        self,
        root: Path,
        *,
        folders: Collection[str],
        files: Collection[str],
        on_change: OnChange,
        quiet: float = 0.1,
    ) -> None:
        self.root = root.absolute()
        self.folders = tuple(folders)
        self.files = tuple(files)
        self.on_change = on_change
        self.quiet = quiet
        self._changes: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._restart_tree = threading.Event()  # set to stop the tree watcher's current run
        self._ready = (threading.Event(), threading.Event())  # tree, root: watches in place
        self.threads = (
            threading.Thread(target=self._watch_tree, name="dateline-watch-tree", daemon=True),
            threading.Thread(target=self._watch_root, name="dateline-watch-root", daemon=True),
            threading.Thread(target=self._dispatch, name="dateline-rebuild", daemon=True),
        )

    def start(self, timeout: float = 5.0) -> None:
        """Start watching; return once the watches are in place, so no save is missed."""
        for thread in self.threads:
            thread.start()
        for ready in self._ready:
            ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread; a rebuild in progress finishes first."""
        self._stopped.set()
        self._restart_tree.set()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout)

    def _existing_folders(self) -> list[Path]:
        return [self.root / name for name in self.folders if (self.root / name).is_dir()]

    def _watch_tree(self) -> None:
        while not self._stopped.is_set():
            self._restart_tree.clear()
            folders = self._existing_folders()
            if not folders:
                self._ready[0].set()
                self._restart_tree.wait()  # the root watcher sets it when a folder appears
                continue
            try:
                for batch in watchfiles.watch(*folders, stop_event=self._restart_tree, **_OPTIONS):
                    self._ready[0].set()
                    for _change, path in batch:
                        self._changes.put(Path(path))
            except (OSError, RuntimeError):
                # A watched folder vanished mid-setup; look again shortly.
                self._stopped.wait(0.2)

    def _watch_root(self) -> None:
        names = {*self.folders, *self.files}
        while not self._stopped.is_set():
            try:
                for batch in watchfiles.watch(
                    self.root,
                    recursive=False,
                    watch_filter=lambda _change, path: Path(path).name in names,
                    stop_event=self._stopped,
                    **_OPTIONS,
                ):
                    self._ready[1].set()
                    for _change, path in batch:
                        if Path(path).name in self.folders:
                            self._restart_tree.set()
                        self._changes.put(Path(path))
            except (OSError, RuntimeError):
                self._stopped.wait(0.5)

    def _dispatch(self) -> None:
        while not self._stopped.is_set():
            try:
                first = self._changes.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = {first}
            while True:  # wait for the burst to settle
                try:
                    batch.add(self._changes.get(timeout=self.quiet))
                except queue.Empty:
                    break
            if not self._stopped.is_set():
                self.on_change(frozenset(batch))
