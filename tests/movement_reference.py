"""The hourly movement's per-step work as it was before the compiled kernel (solvers/movement_days/kernel.py):
numpy arrays over route elements and links, one pass at a time. Kept as the reference the kernel is tested
against on small cases (tests/test_movement_kernel.py)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from reliefplan.solvers import movement_days as md
from reliefplan.solvers.movement_days.routes import prepare_network
from reliefplan.solvers.movement_days.simulation import _Sim


class ReferenceSim(_Sim):
    """`movement_days.simulation._Sim` with the array version of departing, entering, landing, discharging and
    taking places."""

    compiled_steps = False  # every step through the methods below

    def _land(self, t: int) -> None:
        """People reaching the end of a link this step: onto the next link's queue, or at their site."""
        el = self.el
        n_el = el.n
        slot = el.off[:n_el] + t % el.size[:n_el]
        nz = np.flatnonzero(el.ring_n[slot])
        if not len(nz):
            return
        sl = slot[nz]
        n, dep, vul = el.ring_n[sl], el.ring_dep[sl], el.ring_vul[sl]
        el.ring_n[sl], el.ring_dep[sl], el.ring_vul[sl] = 0, 0.0, 0.0
        nxt = el.next[nz]
        mv = nxt >= 0
        if mv.any():  # several elements may lead into the same next one
            np.add.at(el.queue, nxt[mv], n[mv])
            np.add.at(el.qdep, nxt[mv], dep[mv])
            np.add.at(el.qvul, nxt[mv], vul[mv])
        if not mv.all():
            te = nz[~mv]
            self.en_route -= int(n[~mv].sum())
            self.pending.append((el.site[te], el.mode[te], el.directed[te], n[~mv], dep[~mv], vul[~mv]))

    def _land_and_discharge(self, t: int) -> None:
        self._land(t)
        self._discharge(t)

    def _leave_and_enter(self, *args: Any) -> bool:
        return False  # always the array version of departing and entering (`_depart`, `_enter`)

    def _all_arrive(self, *args: Any) -> bool:
        return False  # always the array version of taking places (`_take`, `_accept`)

    def _discharge(self, t: int, qi: np.ndarray | None = None) -> None:
        """Every link lets through its capacity (pedestrian-equivalents) this step; the rest queues. People who
        get through a link shorter than the rest of the step go on to the next one within the step."""
        el = self.el
        if qi is None:
            qi = np.flatnonzero(el.queue[: el.n])
        for _ in range(256):  # passes along chains of short links; each pass moves people one link on
            if not len(qi):
                break
            qi = self._pass(qi, t)

    def _pass(self, qi: np.ndarray, t: int) -> np.ndarray:
        """One discharge pass over elements ``qi`` (with people queued); returns the elements reached within
        the step."""
        el = self.el
        qv, qu = el.queue[qi], el.use[qi]
        lens = el.nar[qi]
        first_pos = np.cumsum(lens) - lens
        flat = np.repeat(el.ptr[qi] - first_pos, lens) + np.arange(int(lens.sum()))
        qa = el.arcs[flat]  # every link of every segment: each takes the segment's people from its capacity
        w = np.repeat(qv * qu, lens)
        load = np.bincount(qa, weights=w, minlength=len(self.cap_step))
        arcs = np.flatnonzero(load)
        first = self.credit_t[arcs] != t  # this step's capacity, plus at most one person's rounding owed
        if first.any():
            fa = arcs[first]
            self.credit[fa] = np.minimum(self.credit[fa], self.max_use) + self.cap_step[fa]
            self.credit_t[fa] = t
        if (self.credit[arcs] >= load[arcs]).all():  # free flow everywhere: everyone goes
            self.credit[arcs] -= load[arcs]
            out, o_dep, o_vul = qv, el.qdep[qi].copy(), el.qvul[qi].copy()
            el.queue[qi], el.qdep[qi], el.qvul[qi] = 0, 0.0, 0.0
        else:
            frac = np.ones(len(load))
            frac[arcs] = np.minimum(1.0, self.credit[arcs] / load[arcs])
            fq = np.minimum.reduceat(frac[qa], first_pos)  # a segment moves as its tightest link allows
            out = np.where(fq >= 1.0, qv, np.floor(qv * fq + 1e-9).astype(np.int64))
            share = out / qv
            o_dep, o_vul = el.qdep[qi] * share, el.qvul[qi] * share
            el.queue[qi] -= out
            el.qdep[qi] -= o_dep
            el.qvul[qi] -= o_vul
            used = np.bincount(qa, weights=np.repeat(out * qu, lens), minlength=len(load))
            self.credit[arcs] -= used[arcs]
            left = load[arcs] - used[arcs]
            jam = arcs[left > 1e-9]
            new = jam[self.jam_last[jam] != t]
            self.jam_steps[new] += 1
            self.jam_first[new] = np.where(self.jam_first[new] < 0, t, self.jam_first[new])
            self.jam_last[jam] = t
            np.maximum.at(self.max_queue, jam, (load - used)[jam])
            sent = out > 0
            qi, out, o_dep, o_vul = qi[sent], out[sent], o_dep[sent], o_vul[sent]
        owed = out * el.f[qi] + el.carry[qi]  # the fraction one step slower; remainders carried over
        late = np.floor(owed + 1e-9).astype(np.int64)
        el.carry[qi] = owed - late
        lf = late / out
        k, off, size = el.k[qi], el.off[qi], el.size[qi]
        s2 = off + ((t % el.size[qi]) + k + 1) % size
        el.ring_n[s2] += late
        el.ring_dep[s2] += o_dep * lf
        el.ring_vul[s2] += o_vul * lf
        early, e_dep, e_vul = out - late, o_dep * (1 - lf), o_vul * (1 - lf)
        later = k > 0
        if later.any():
            s1 = (off + ((t % el.size[qi]) + k) % size)[later]
            el.ring_n[s1] += early[later]
            el.ring_dep[s1] += e_dep[later]
            el.ring_vul[s1] += e_vul[later]
        now = ~later & (early > 0)  # through a short link within the step: on to the next one now
        if not now.any():
            return np.zeros(0, np.int64)
        e, n, dep, vul = qi[now], early[now], e_dep[now], e_vul[now]
        nxt = el.next[e]
        mv = nxt >= 0
        if not mv.all():
            te = e[~mv]
            self.en_route -= int(n[~mv].sum())
            self.pending.append((el.site[te], el.mode[te], el.directed[te], n[~mv], dep[~mv], vul[~mv]))
        nxt, n, dep, vul = nxt[mv], n[mv], dep[mv], vul[mv]
        np.add.at(el.queue, nxt, n)
        np.add.at(el.qdep, nxt, dep)
        np.add.at(el.qvul, nxt, vul)
        return np.unique(nxt)

    def _accept(self, t: int, j: np.ndarray, mo: np.ndarray, d: np.ndarray, n: np.ndarray, *rest: np.ndarray) -> None:
        take, dep, vul, part = rest
        if d.any():
            np.subtract.at(self.held, j[d], n[d])  # arrived or turned away: no longer held either way
        acc = take > 0
        if acc.any():
            ja, na = j[acc], take[acc]
            np.add.at(self.occ, ja, na)
            np.add.at(self.occ_vul, ja, vul[acc] * part[acc])
            hour = min(t // self.sph, self.H * 24 - 1)
            np.add.at(self.arr_site_day[:, self.day], ja, na)
            np.add.at(self.arr_site_hour[:, hour], ja, na)
            np.add.at(self.arr_mode_day[:, self.day], mo[acc], na)
            self._trip_ends(mo[acc], na, dep[acc] * part[acc], vul[acc] * part[acc], t)

    def _depart(self, streams: np.ndarray, modes: np.ndarray, people: np.ndarray) -> np.ndarray:
        """People leave their origin (stream < n_o) or their site (n_o + j, re-displaced) now; their vulnerable
        people (each origin's share; at a site, its share of the site's vulnerable people)."""
        day, n_o, inst = self.day, self.n_o, self.inst
        self.dep_mode_day[:, day] += np.bincount(modes, weights=people, minlength=self.n_m).astype(np.int64)
        vul = np.zeros(len(people))
        o = streams < n_o
        if o.any():
            so, po = streams[o], people[o]
            np.add.at(self.released_origin, so, po)
            k = inst.origin_order[so]
            np.add.at(self.left_order_inc[:, day], k[k >= 0], po[k >= 0])
            self.left_unordered_inc[day] += int(po[k < 0].sum())
            vul[o] = po * inst.origin_vulnerable_share[so]
        self._leave_sites(streams, people, vul)
        return vul

    def _enter(
        self,
        elems: np.ndarray,
        sites: np.ndarray,
        modes: np.ndarray,
        people: np.ndarray,
        dep: np.ndarray,
        vul: np.ndarray,
        directed: np.ndarray,
        t: int,
    ) -> None:
        """Put people on the road at their first element (-1: already at the site; site -1: nowhere to go)."""
        el = self.el
        on = elems >= 0
        if on.any():
            e = elems[on]
            np.add.at(el.queue, e, people[on])
            np.add.at(el.qdep, e, dep[on])
            np.add.at(el.qvul, e, vul[on])
            self.en_route += int(people[on].sum())
            np.add.at(self.ff_sum, modes[on], people[on] * el.ff_s[e])
        if not on.all():
            self._off_road(~on, sites, modes, people, dep, vul, directed, t)


def simulate_reference(
    inst: md.DaysInstance, *, assignment: Literal["arrival", "plan"] = "arrival", plan: Any = None
) -> md.DaysResult:
    """`movement_days.simulate` on the reference per-step work."""
    md.validate_days_instance(inst)
    quota = None if plan is None else np.asarray(plan, dtype=np.int64)
    return ReferenceSim(inst, prepare_network(inst), quota).run(assignment)
