"""Links between glossary terms (same_as, broader, shared names, tags), indexed once.

Name cards use these to keep every distractor wrong, and ``dlquiz check`` to warn
about links that make no sense; each question costs only the size of its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlquiz.content import Term


@dataclass
class Relations:
    """Links between terms, indexed so that every question costs only what it returns.

    ``same_as`` groups are joined (in either direction, transitively); ``broader``
    links run between groups, so a synonym of a broader term is broader too.
    """

    source: dict[str, Term]  # the terms indexed (held, so its identity stays unique)
    size: int
    # Only slugs with a same_as link are stored; any other slug is a group of its own.
    group: dict[str, str]  # slug -> the first slug of its same_as group
    members: dict[str, list[str]]  # group -> its slugs, in content order
    up: dict[str, set[str]]  # group -> groups directly broader
    down: dict[str, set[str]]  # group -> groups directly narrower
    by_name: dict[str, list[str]]  # casefolded name or alias -> slugs
    by_tag: dict[str, list[str]]  # tag -> slugs, in content order

    @classmethod
    def build(cls, terms: dict[str, Term]) -> Relations:
        # same_as links are rare: join only the slugs that have one.
        parent: dict[str, str] = {}

        def root(slug: str) -> str:
            parent.setdefault(slug, slug)
            while parent[slug] != slug:
                parent[slug] = parent[parent[slug]]  # path halving keeps this near O(1)
                slug = parent[slug]
            return slug

        linked = [(s, o) for s, t in terms.items() for o in t.same_as if o in terms and o != s]
        order = {slug: i for i, slug in enumerate(terms)} if linked else {}
        for slug, other in linked:
            a, b = root(slug), root(other)
            if a != b:  # the earlier slug names the group: stable across runs
                a, b = sorted((a, b), key=order.__getitem__)
                parent[b] = a
        group = {slug: root(slug) for slug in list(parent)}
        members: dict[str, list[str]] = {}
        for slug in sorted(group, key=order.__getitem__):
            members.setdefault(group[slug], []).append(slug)
        by_name: dict[str, list[str]] = {}
        by_tag: dict[str, list[str]] = {}
        up: dict[str, set[str]] = {}
        down: dict[str, set[str]] = {}
        for slug, term in terms.items():
            for name in term.names:
                key = name.casefold()
                slugs = by_name.get(key)
                if slugs is None:
                    by_name[key] = [slug]
                elif slugs[-1] != slug:  # a term's own repeats come one after another
                    slugs.append(slug)
            for tag in term.tags:
                by_tag.setdefault(tag, []).append(slug)
            if term.broader:
                mine = group.get(slug, slug)
                for wider in term.broader:
                    theirs = group.get(wider, wider)
                    if wider in terms and theirs != mine:
                        up.setdefault(mine, set()).add(theirs)
                        down.setdefault(theirs, set()).add(mine)
        return cls(terms, len(terms), group, members, up, down, by_name, by_tag)

    def describes(self, terms: dict[str, Term]) -> bool:
        """Still an index of ``terms`` (the same dict, with no term added since)."""
        return self.source is terms and self.size == len(terms)

    def _members(self, group: str) -> list[str]:
        return self.members.get(group) or [group]

    def are_synonyms(self, slug: str, other: str) -> bool:
        """``other`` is in ``synonyms(slug)`` (without building that set)."""
        group = self.group.get(slug)
        return group is not None and slug != other and self.group.get(other) == group

    def synonyms(self, slug: str) -> set[str]:
        if slug not in self.group:
            return set()
        return set(self._members(self.group[slug])) - {slug}

    def _reach(self, slug: str, links: dict[str, set[str]]) -> set[str]:
        """Slugs reachable from ``slug``'s group along ``links`` (not its own group)."""
        if slug not in self.source:
            return set()
        start = self.group.get(slug, slug)
        seen = {start}
        todo = [start]
        while todo:
            for nxt in links.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        seen.discard(start)
        return {s for g in seen for s in self._members(g)}

    def broader(self, slug: str) -> set[str]:
        """Every term ``slug`` is a kind of, transitively (with their synonyms)."""
        return self._reach(slug, self.up)

    def narrower(self, slug: str) -> set[str]:
        """Every term that is a kind of ``slug``, transitively (with their synonyms)."""
        return self._reach(slug, self.down)

    def sharing_a_name(self, term: Term) -> set[str]:
        """Other terms that have one of ``term``'s names or aliases."""
        found = {s for n in term.names for s in self.by_name.get(n.casefold(), ())}
        found.discard(term.slug)
        return found

    def confusable(self, term: Term) -> set[str]:
        """Terms that would be a second right answer for ``term``: a synonym, a broader
        or narrower term, or one sharing a name."""
        slug = term.slug
        return (
            self.synonyms(slug)
            | self.broader(slug)
            | self.narrower(slug)
            | self.sharing_a_name(term)
        )

    def in_cycle(self, slug: str) -> bool:
        """``slug`` is (through ``broader`` links) broader than itself."""
        if slug not in self.source:
            return False
        start = self.group.get(slug, slug)
        todo = list(self.up.get(start, ()))
        seen = set(todo)
        while todo:
            cur = todo.pop()
            if cur == start:
                return True
            for nxt in self.up.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False
