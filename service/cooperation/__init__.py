"""The cooperation pipeline: records between two parties from first identification to alliance,
meeting outcomes and follow-ups, funnel figures, and criterion weights learned from outcomes."""
