"""dnacomp's version, in a module of its own that imports nothing.

Read by the package (``dnacomp.__version__``), the command line (``--version``), the archive
writer (the header's ``writer`` field: "dnacomp <version>") and the kernel cache (its directory
name), and by ``pyproject.toml`` (setuptools reads it statically). Nothing here imports
``dnacomp`` itself, so no module needs the package's ``__init__`` to learn the version.

Changing it changes the header of every archive written from then on (not how any archive is
decoded): the golden archives' re-encoding checks pin it.
"""

__version__ = "0.1.0"
