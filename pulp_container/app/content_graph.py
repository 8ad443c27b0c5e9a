"""Which content units need which: the closures behind recursive add, remove and copy.

A tag needs its manifest; an index or manifest list needs the manifests it lists; an image
manifest needs its config and layers. The graph holds those edges by primary key and knows
nothing of Django: ``tasks/recursive.py`` loads it from the database.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field


@dataclass
class ContentGraph:
    """Edges from each unit to the units it needs (``needs[unit]``)."""

    needs: dict[Hashable, set] = field(default_factory=dict)

    def link(self, unit: Hashable, needed: Iterable[Hashable]) -> None:
        """Record that `unit` needs every unit in `needed`."""
        self.needs.setdefault(unit, set()).update(needed)

    def reachable(self, roots: Iterable[Hashable]) -> set:
        """The roots and everything they need, directly or through other units."""
        seen = set(roots)
        frontier = list(seen)
        while frontier:
            unit = frontier.pop()
            for needed in self.needs.get(unit, ()):
                if needed not in seen:
                    seen.add(needed)
                    frontier.append(needed)
        return seen

    def removable(self, present: Iterable[Hashable], requested: Iterable[Hashable]) -> set:
        """What a recursive removal of `requested` takes out of a version holding `present`.

        The candidates are the requested units and everything they need; of those, whatever
        a unit staying in the version still needs (directly or not) stays too.

        Args:
            present: every unit of the version.
            requested: the units asked to be removed (those not present are ignored).

        Returns:
            The units to remove, a subset of `present`.
        """
        present = set(present)
        candidates = self.reachable(set(requested) & present) & present
        kept = self.reachable(present - candidates)
        return candidates - kept
