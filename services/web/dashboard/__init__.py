"""The security office dashboard (校园110指挥中心)."""
