"""The people: user state and parameters, Mesa agent views, influencer behaviours,
and the per-person rules (reaction, opinion, emotion, trust, value).
"""
