"""The durable inbox: updates stored before they are acknowledged, turns run by workers."""
