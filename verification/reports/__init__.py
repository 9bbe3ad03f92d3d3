"""The weekly class-case report (类案分析): recurring classes of problems by
category × district × week, the fastest-rising classes and the most
repeated problems with their orders; its charts (SVG drawn here, no remote
assets) and its files (``clues report weekly --out DIR``)."""
