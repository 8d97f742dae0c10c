"""Browser tracking: the script stores embed, the collector it posts to, and visitors."""
