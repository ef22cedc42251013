#!/usr/bin/env bash
# Fetches Apache Kafka (KRaft, Scala 2.13) and a log binding from Maven Central into the cache.
# Kafka stands in for Redpanda locally: same wire protocol, and it is in a registry we can reach.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

lib_dir="$TOOLS_DIR/kafka/$KAFKA_VERSION/libs"
if [[ -f "$lib_dir/.complete" ]]; then echo "$lib_dir"; exit 0; fi
command -v mvn >/dev/null || die "Maven is needed to fetch Kafka (none on PATH)"
command -v java >/dev/null || die "Java 17+ is needed to run Kafka (none on PATH)"

work="$TOOLS_DIR/kafka/$KAFKA_VERSION"
mkdir -p "$work"
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
POM
log "fetching Kafka $KAFKA_VERSION from Maven Central (first time only)"
# Maven writes to stdout (ANSI colour codes even with -q on a first download): all of it goes to
# stderr, where its own error message stays visible.
mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$MAVEN_REPO" -f "$work/pom.xml" \
  dependency:copy-dependencies -DoutputDirectory="$lib_dir" -DincludeScope=runtime >&2 \
  || die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (Maven's message above)"
compgen -G "$lib_dir/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "no kafka_2.13-$KAFKA_VERSION.jar in $lib_dir"
touch "$lib_dir/.complete"
echo "$lib_dir"
