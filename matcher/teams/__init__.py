"""Teams of one municipality: offers the team can take up together, with team reasons and each member's fit."""
from . import _relevance as relevance
from ._aggregate import (AGGREGATIONS, DEFAULT_AGGREGATION, TOPIC_SHIFT, aggregate, average, borda, fair_greedy,
                         least_misery, may_attend, topic_utility)
from ._recommend import (MAX_MEMBERS, MIN_MEMBERS, OPEN_BONUS, TEAM_PLACES, GroupRecommendation, GroupResult,
                         MemberFit, TeamSignals, check_aggregation, check_members, member_ids, recommend_group,
                         shared_need, team_reasons, team_signals)
from ._relevance import TeamRelevance

__all__ = [
    "AGGREGATIONS", "DEFAULT_AGGREGATION", "MAX_MEMBERS", "MIN_MEMBERS", "OPEN_BONUS", "TEAM_PLACES", "TOPIC_SHIFT",
    "GroupRecommendation", "GroupResult", "MemberFit", "TeamRelevance", "TeamSignals", "aggregate", "average",
    "borda", "check_aggregation", "check_members", "fair_greedy", "least_misery", "may_attend", "member_ids",
    "recommend_group", "relevance", "shared_need", "team_reasons", "team_signals", "topic_utility",
]
