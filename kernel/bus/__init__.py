"""MQTT I/O: the only package that talks to paho; its types never leak out."""

from kernel.bus.mqtt import BrokerAddress, InboundMessage, MqttBus, parse_broker_url

__all__ = ["BrokerAddress", "InboundMessage", "MqttBus", "parse_broker_url"]
