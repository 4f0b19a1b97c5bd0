//! Scarcity: places lost whatever the choice, because several needs compete for too few
//! qualified and available technicians at the same time.
//!
//! A technician works one place at a time, so at an instant `p` the open places of the
//! needs running at `p` and their candidates form a bipartite graph in which any plan is a
//! matching. A maximum matching (petgraph's `maximum_matching`) leaves `places - matching`
//! places that no plan can fill. Which needs compete for which technicians is the Hall set
//! of that deficit: the places reachable from an unmatched place along alternating paths
//! (any edge from a place to a technician, the matched edge back), with the technicians
//! they reach. Each connected group of it has exactly `places - technicians` places too
//! many: "three needs compete for two qualified technicians: A, B".
//!
//! For an unfilled need, the instants worth checking are its start and the starts of the
//! needs beginning while it runs (every set of pairwise overlapping windows shares the
//! latest of their starts); the group with the largest deficit wins, the earliest instant
//! on a tie. Groups are computed once per instant.
//!
//! Places of one need are interchangeable (same candidates), so a need contributes at most
//! as many places to the graph as it has candidates; the rest are unmatched anyway and
//! counted directly, which keeps the graph small for big needs.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use petgraph::algo::maximum_matching;
use petgraph::graph::{NodeIndex, UnGraph};

use crate::candidates::Candidates;
use crate::model::{Model, NeedIx, TechIx};

/// A group of needs competing for too few technicians.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The competing needs, by index, sorted.
    pub needs: Vec<NeedIx>,
    /// The technicians qualified and available for any of them, sorted.
    pub techs: Vec<TechIx>,
    /// Open places of these needs.
    pub places: u32,
    /// Places no plan can fill: `places - techs`.
    pub deficit: u32,
    /// The instant at which they compete (UTC seconds).
    pub at: i64,
}

/// Finds and caches the scarcity groups of a plan's open needs.
#[derive(Debug)]
pub struct Finder<'a, 'p> {
    model: &'a Model<'p>,
    candidates: &'a Candidates,
    groups: BTreeMap<i64, Vec<Group>>,
}

impl<'a, 'p> Finder<'a, 'p> {
    pub fn new(model: &'a Model<'p>, candidates: &'a Candidates) -> Self {
        Finder {
            model,
            candidates,
            groups: BTreeMap::new(),
        }
    }

    /// The scarcity group of need `n` with the largest deficit, if its places are lost to
    /// scarcity at some instant.
    pub fn for_need(&mut self, n: NeedIx) -> Option<Group> {
        let w = self.model.need(n).window;
        let mut instants: Vec<i64> = vec![w.start];
        for m in self.model.need_indices() {
            let s = self.model.need(m).window.start;
            if self.model.needs[m as usize].places > 0 && w.start < s && s < w.end {
                instants.push(s);
            }
        }
        instants.sort_unstable();
        instants.dedup();
        let mut best: Option<Group> = None;
        for p in instants {
            let found = self
                .at(p)
                .iter()
                .find(|g| g.needs.binary_search(&n).is_ok())
                .cloned();
            if let Some(g) = found
                && best.as_ref().is_none_or(|b| g.deficit > b.deficit)
            {
                best = Some(g);
            }
        }
        best
    }

    /// The groups at instant `p`, computed once.
    fn at(&mut self, p: i64) -> &[Group] {
        let (model, candidates) = (self.model, self.candidates);
        self.groups
            .entry(p)
            .or_insert_with(|| groups_at(model, candidates, p))
    }
}

/// Every deficit group among the needs running at `p`.
fn groups_at(model: &Model<'_>, candidates: &Candidates, p: i64) -> Vec<Group> {
    let needs: Vec<NeedIx> = model
        .need_indices()
        .filter(|&n| {
            let w = model.need(n).window;
            model.needs[n as usize].places > 0 && w.start <= p && p < w.end
        })
        .collect();
    let mut techs: Vec<TechIx> = needs
        .iter()
        .flat_map(|&n| candidates.of[n as usize].iter().copied())
        .collect();
    techs.sort_unstable();
    techs.dedup();

    // Place nodes first (each tagged with its need), then technician nodes.
    let mut graph: UnGraph<(), ()> = UnGraph::default();
    let mut place_need: Vec<NeedIx> = Vec::new();
    // Places beyond a need's candidate count: unmatched in any plan.
    let mut overflow: BTreeMap<NeedIx, u32> = BTreeMap::new();
    for &n in &needs {
        let places = model.needs[n as usize].places;
        let copies = places.min(candidates.of[n as usize].len() as u32);
        for _ in 0..copies {
            graph.add_node(());
            place_need.push(n);
        }
        if places > copies {
            overflow.insert(n, places - copies);
        }
    }
    let first_tech = place_need.len();
    for _ in &techs {
        graph.add_node(());
    }
    let tech_node = |t: TechIx| {
        techs
            .binary_search(&t)
            .ok()
            .map(|i| NodeIndex::new(first_tech + i))
    };
    for (i, &n) in place_need.iter().enumerate() {
        for &t in &candidates.of[n as usize] {
            if let Some(node) = tech_node(t) {
                graph.add_edge(NodeIndex::new(i), node, ());
            }
        }
    }
    let matching = maximum_matching(&graph);

    // Alternating search from every place no plan can fill.
    let nodes = graph.node_count();
    let mut reached = vec![false; nodes];
    let mut queue: Vec<NodeIndex> = Vec::new();
    for (i, &n) in place_need.iter().enumerate() {
        let node = NodeIndex::new(i);
        if matching.mate(node).is_none() || overflow.contains_key(&n) {
            reached[i] = true;
            queue.push(node);
        }
    }
    while let Some(place) = queue.pop() {
        for tech in graph.neighbors(place) {
            if reached[tech.index()] {
                continue;
            }
            reached[tech.index()] = true;
            if let Some(mate) = matching.mate(tech)
                && !reached[mate.index()]
            {
                reached[mate.index()] = true;
                queue.push(mate);
            }
        }
    }

    // Connected groups of the reached part (union-find over the reached edges), plus the
    // needs without a single candidate, each a group of its own.
    let mut parent: Vec<usize> = (0..nodes).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for edge in graph.edge_indices() {
        if let Some((a, b)) = graph.edge_endpoints(edge)
            && reached[a.index()]
            && reached[b.index()]
        {
            let (ra, rb) = (root(&mut parent, a.index()), root(&mut parent, b.index()));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut by_root: BTreeMap<usize, (Vec<NeedIx>, Vec<TechIx>)> = BTreeMap::new();
    for i in 0..nodes {
        if !reached[i] {
            continue;
        }
        let r = root(&mut parent, i);
        let entry = by_root.entry(r).or_default();
        if i < first_tech {
            entry.0.push(place_need[i]);
        } else {
            entry.1.push(techs[i - first_tech]);
        }
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .map(|(needs, techs)| group(model, needs, techs, p))
        .collect();
    for (&n, _) in overflow
        .iter()
        .filter(|(n, _)| candidates.of[**n as usize].is_empty())
    {
        groups.push(group(model, vec![n], Vec::new(), p));
    }
    groups.retain(|g| g.deficit > 0);
    groups.sort_by(|a, b| a.needs.cmp(&b.needs));
    groups
}

fn group(model: &Model<'_>, mut needs: Vec<NeedIx>, techs: Vec<TechIx>, at: i64) -> Group {
    needs.sort_unstable();
    needs.dedup();
    // Saturating: `min-crew` is the host's u32, and a sum must not overflow into a trap.
    let places = needs.iter().fold(0u32, |sum, &n| {
        sum.saturating_add(model.needs[n as usize].places)
    });
    Group {
        deficit: places.saturating_sub(techs.len() as u32),
        needs,
        techs,
        places,
        at,
    }
}
