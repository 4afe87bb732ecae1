"""The MCP interface: Spark's seven tools over stdio (`spark mcp`) and Streamable HTTP.

tools.py     the tools: input schemas with limits, descriptions, calls
shaping.py   compact, budgeted results with ids (progressive disclosure)
server.py    the MCPServer, and who the caller is on each transport
"""
