#!/bin/bash
# Apache Kafka in KRaft mode (broker and controller in one process), as the local cluster's
# stand-in for Redpanda. Clients reach it at its Service; it advertises its pod IP, which the
# cluster's pods and the host (tests, through the node's bridge) can both reach.
set -euo pipefail
DATA=${KAFKA_DATA:-/var/lib/kafka/data}
CONFIG=/tmp/server.properties
cat >"$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://${POD_IP:?POD_IP is required}:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES
cat >/tmp/log4j.properties <<'LOG4J'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
LOG4J
read -r -a HEAP <<<"${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
JAVA=(java "${HEAP[@]}" -XX:+UseG1GC -Dlog4j.configuration=file:/tmp/log4j.properties -cp "/opt/kafka/libs/*")
if [[ ! -f $DATA/meta.properties ]]; then
  "${JAVA[@]}" kafka.tools.StorageTool format -t dG9kby1ldmVudHMtbG9jYQ -c "$CONFIG"
fi
exec "${JAVA[@]}" kafka.Kafka "$CONFIG"
