"""Teams of one municipality: offers the team can take up together, with team reasons and each member's fit."""
from . import _relevance as relevance
from ._recommend import (AGGREGATIONS, DEFAULT_AGGREGATION, MAX_MEMBERS, MIN_MEMBERS, OPEN_SHARE_FLOOR, TEAM_PLACES,
                         GroupResult, aggregate, average, borda, check_aggregation, check_members, fair_greedy,
                         least_misery, may_attend, member_ids, recommend_group, shared_need, team_signals,
                         topic_utility)
from ._relevance import TeamRelevance

__all__ = [
    "AGGREGATIONS", "DEFAULT_AGGREGATION", "GroupResult", "MAX_MEMBERS", "MIN_MEMBERS", "OPEN_SHARE_FLOOR",
    "TEAM_PLACES",
    "TeamRelevance", "aggregate", "average", "borda", "check_aggregation", "check_members", "fair_greedy",
    "least_misery", "may_attend", "member_ids", "recommend_group", "relevance", "shared_need", "team_signals",
    "topic_utility",
]
