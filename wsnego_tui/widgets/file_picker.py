"""A folder tree for picking proof files (证明材料), rooted at one of the allowed folders.

It shows folders and the names a proof can have (.pdf, .png, .jpg, .jpeg, any case), hides
dot-files, never expands a symbolic link to a folder (so it never wanders out of its root), and
has nothing above its root to go to. In a kiosk it lists only the files its `keep_file` test
lets through (the current customer's scans). A linked *file* is listed, so that picking it gets the
intake's own refusal. The paths it reports keep the root's spelling (the tree does not resolve
them), which is what the intake checks against the allowed folders. Folders are loaded by a
worker that ends when there is nothing left to load (Textual's own loader waits forever, which
would keep `App.workers.wait_for_complete()` from ever returning).

This is a convenience, not the guard: `services.attach_proof` checks location, links, file
type, content and size again. Directory listing happens in the tree's thread worker, never on
the UI thread. Never opens or reads a file; never shows a name as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rich.text import Text
from textual import work
from textual.await_complete import AwaitComplete
from textual.widgets import DirectoryTree
from textual.widgets._directory_tree import DirEntry
from textual.widgets._tree import TreeNode
from textual.worker import WorkerCancelled, WorkerFailed

from wsnego_tui.widgets.safe_text import safe_text

PROOF_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg"})


def is_proof_name(path: Path) -> bool:
    return path.suffix.lower() in PROOF_SUFFIXES


def root_label(root: Path) -> str:
    """How a root folder is named on screen: "~" for the home folder, else its own name."""
    try:
        if root.expanduser() == Path.home():
            return "~"
    except RuntimeError:  # no home folder known
        pass
    return safe_text(root.name) or safe_text(str(root))


class ProofFileTree(DirectoryTree):
    """A DirectoryTree for proof files under one allowed folder."""

    # Plain marks instead of emoji: some kiosk terminals have no emoji font.
    ICON_NODE = "+ "
    ICON_NODE_EXPANDED = "- "
    ICON_FILE = "  "

    def __init__(
        self,
        root: Path,
        *,
        keep_file: Callable[[Path], bool] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self._draining = False
        self._keep_file = keep_file
        """Which files to list (e.g. a kiosk's: not the scans of an earlier customer); called
        in the loader thread. None: every file named like a proof."""
        super().__init__(root, id=id, classes=classes)
        self.root.set_label(Text(root_label(Path(root))))

    def reset_node(self, node: TreeNode[DirEntry], label: str | Text, data: DirEntry | None = None) -> "ProofFileTree":
        """The root keeps a short name (its own folder name, or "~"), not its full path."""
        if node is self.root and data is not None:
            label = Text(root_label(Path(data.path)))
        super().reset_node(node, label, data)
        return self

    def process_label(self, label: str | Text) -> Text:
        """A name as literal text, without control or bidi characters (never markup)."""
        plain = label.plain if isinstance(label, Text) else label
        return Text(safe_text(plain))

    def filter_paths(self, paths: Iterable[Path]) -> Iterator[Path]:
        """Folders (not links to folders) and files named like a proof; no dot-files. Runs
        in the tree's loader thread."""
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                keep = self._keep_file
                if path.is_symlink():
                    if not path.is_dir() and is_proof_name(path) and (keep is None or keep(path)):
                        yield path  # listed so that picking it is refused with a reason
                    continue
                if path.is_dir() or (is_proof_name(path) and (keep is None or keep(path))):
                    yield path
            except OSError:
                continue

    @staticmethod
    def _safe_is_dir(path: Path) -> bool:
        """A folder that may be opened: never a link to one."""
        try:
            return path.is_dir() and not path.is_symlink()
        except OSError:
            return False

    def _populate_node(self, node: TreeNode[DirEntry], content: Iterable[Path]) -> None:
        """Children keep their parent's spelling of the path (the loader resolves it)."""
        assert node.data is not None
        parent = node.data.path
        super()._populate_node(node, [Path(parent) / path.name for path in content])

    # Loading folders: a worker per burst of requests, not one that waits forever ------------

    def _add_to_load_queue(self, node: TreeNode[DirEntry]) -> AwaitComplete:
        waiting = super()._add_to_load_queue(node)
        self._loader()
        return waiting

    def _loader(self) -> None:  # type: ignore[override]
        """Start draining the load queue unless a drain is already under way."""
        if not self._draining:
            self._draining = True
            self._drain_load_queue()

    @work(group="proof-tree-loader", exit_on_error=False)
    async def _drain_load_queue(self) -> None:
        try:
            while not self._load_queue.empty():
                queue = self._load_queue
                node = queue.get_nowait()
                async with self.lock:
                    cursor_node = self.cursor_node
                    try:
                        content = await self._load_directory(node).wait()
                    except WorkerCancelled:
                        return
                    except WorkerFailed:
                        content = []
                    finally:
                        queue.task_done()
                    if content:
                        self._populate_node(node, content)
                        if cursor_node is not None:
                            self.move_cursor(cursor_node, animate=False)
        finally:
            self._draining = False
