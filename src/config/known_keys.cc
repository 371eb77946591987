#include "config/known_keys.h"

#include <array>

#include "mgw/base/strings.h"

namespace mgw::config::detail {
namespace {

using enum KeyType;

// WSO2 API Microgateway 3.x keys (reference wso2-mgw3.md §3, default-micro-gw.conf.template,
// 3.0 spellings) and the keys this gateway adds. Specific entries come before the "**"
// fallbacks of the same section so that they are type-checked.
constexpr std::array kKnownKeys{
    // [listenerConfig]
    KnownKey{"listenerConfig.host", String},
    KnownKey{"listenerConfig.httpPort", Int},
    KnownKey{"listenerConfig.httpsPort", Int},
    KnownKey{"listenerConfig.tokenListenerPort", Int},
    KnownKey{"listenerConfig.keyStorePath", String},
    KnownKey{"listenerConfig.keyStorePassword", String},
    KnownKey{"listenerConfig.trustStorePath", String},
    KnownKey{"listenerConfig.trustStorePassword", String},
    KnownKey{"listenerConfig.keyStore.path", String},  // 3.0 spelling
    KnownKey{"listenerConfig.keyStore.password", String},
    KnownKey{"listenerConfig.trustStore.path", String},
    KnownKey{"listenerConfig.trustStore.password", String},
    KnownKey{"listenerConfig.keepAlive", String},
    KnownKey{"listenerConfig.maxPipelinedRequests", Int},
    KnownKey{"listenerConfig.maxUriLength", Int},
    KnownKey{"listenerConfig.maxHeaderSize", Int},
    KnownKey{"listenerConfig.maxHeaderCount", Int},
    KnownKey{"listenerConfig.maxEntityBodySize", Int},
    KnownKey{"listenerConfig.requestHeaderTimeoutMillis", Int},
    KnownKey{"listenerConfig.bodyIdleTimeoutMillis", Int},
    KnownKey{"listenerConfig.keepAliveTimeoutMillis", Int},
    KnownKey{"listenerConfig.trustedProxies", List},
    // [server], [b7a.log]
    KnownKey{"server.workers", Int},
    KnownKey{"server.shutdownGraceMillis", Int},
    KnownKey{"server.logFormat", String},
    KnownKey{"server.timestampSkew", Int},
    KnownKey{"server.header", String},
    KnownKey{"server.headerConf.#.**", Any},
    KnownKey{"b7a.log.level", String},
    // [authConfig], [jwtConfig]
    KnownKey{"authConfig.authorizationHeader", String},
    KnownKey{"authConfig.removeAuthHeaderFromOutMessage", Bool},
    KnownKey{"jwtConfig.header", String},
    KnownKey{"jwtConfig.enableIntrospectForFailedJWT", Bool},
    // [keyManager]
    KnownKey{"keyManager.serverUrl", String},
    KnownKey{"keyManager.tokenContext", String},
    KnownKey{"keyManager.enableLegacyMode", Bool},
    KnownKey{"keyManager.external", Bool},
    KnownKey{"keyManager.issuer", String},
    KnownKey{"keyManager.timestampSkew", Int},
    KnownKey{"keyManager.remoteUserClaimRetrievalEnabled", Bool},
    KnownKey{"keyManager.enableIntrospectForFailedJWT", Bool},
    KnownKey{"keyManager.security.basic.enabled", Bool},
    KnownKey{"keyManager.security.basic.username", String},
    KnownKey{"keyManager.security.basic.password", String},
    KnownKey{"keyManager.security.oauth2.enabled", Bool},
    KnownKey{"keyManager.security.oauth2.credentialBearer", String},
    KnownKey{"keyManager.security.oauth2.tokenUrl", String},
    KnownKey{"keyManager.security.oauth2.clientCredential.enabled", Bool},
    KnownKey{"keyManager.security.oauth2.clientCredential.clientId", String},
    KnownKey{"keyManager.security.oauth2.clientCredential.clientSecret", String},
    KnownKey{"keyManager.security.oauth2.clientCredential.scopes", List},
    KnownKey{"keyManager.security.oauth2.password.enabled", Bool},
    KnownKey{"keyManager.security.oauth2.password.clientId", String},
    KnownKey{"keyManager.security.oauth2.password.clientSecret", String},
    KnownKey{"keyManager.security.oauth2.password.scopes", List},
    KnownKey{"keyManager.security.oauth2.password.username", String},
    KnownKey{"keyManager.security.oauth2.password.password", String},
    KnownKey{"keyManager.security.oauth2.directToken.enabled", Bool},
    KnownKey{"keyManager.security.oauth2.directToken.accessToken", String},
    KnownKey{"keyManager.security.oauth2.refresh.enabled", Bool},
    KnownKey{"keyManager.security.oauth2.refresh.refreshUrl", String},
    KnownKey{"keyManager.security.oauth2.refresh.scopes", List},
    KnownKey{"keyManager.security.oauth2.refresh.refreshToken", String},
    KnownKey{"keyManager.security.oauth2.refresh.clientId", String},
    KnownKey{"keyManager.security.oauth2.refresh.clientSecret", String},
    // [[jwtTokenConfig]] (3.0: a single [jwtTokenConfig] table)
    KnownKey{"jwtTokenConfig.#.issuer", String},
    KnownKey{"jwtTokenConfig.#.audience", List},
    KnownKey{"jwtTokenConfig.#.certificateAlias", String},
    KnownKey{"jwtTokenConfig.#.jwksURL", String},
    KnownKey{"jwtTokenConfig.#.validateSubscription", Bool},
    KnownKey{"jwtTokenConfig.#.consumerKeyClaim", String},
    KnownKey{"jwtTokenConfig.#.claimMapperClassName", String},
    KnownKey{"jwtTokenConfig.#.remoteUserClaimRetrievalEnabled", Bool},
    KnownKey{"jwtTokenConfig.#.claims.#.remoteClaim", String},
    KnownKey{"jwtTokenConfig.#.claims.#.localClaim", String},
    KnownKey{"jwtTokenConfig.#.**", Any},
    KnownKey{"jwtTokenConfig.issuer", String},
    KnownKey{"jwtTokenConfig.audience", List},
    KnownKey{"jwtTokenConfig.certificateAlias", String},
    KnownKey{"jwtTokenConfig.jwksURL", String},
    KnownKey{"jwtTokenConfig.validateSubscription", Bool},
    KnownKey{"jwtTokenConfig.consumerKeyClaim", String},
    // [tokenRevocationConfig]
    KnownKey{"tokenRevocationConfig.realtime.enableRealtimeMessageRetrieval", Bool},
    KnownKey{"tokenRevocationConfig.realtime.jmsConnectionTopic", String},
    KnownKey{"tokenRevocationConfig.realtime.jmsConnectioninitialContextFactory", String},
    KnownKey{"tokenRevocationConfig.realtime.jmsConnectionProviderUrl", String},
    KnownKey{"tokenRevocationConfig.realtime.jmsConnectionUsername", String},
    KnownKey{"tokenRevocationConfig.realtime.jmsConnectionPassword", String},
    KnownKey{"tokenRevocationConfig.persistent.enablePersistentStorageRetrieval", Bool},
    KnownKey{"tokenRevocationConfig.persistent.type", String},
    KnownKey{"tokenRevocationConfig.persistent.useDefault", Bool},
    KnownKey{"tokenRevocationConfig.persistent.endpointURL", String},
    KnownKey{"tokenRevocationConfig.persistent.hostname", String},
    KnownKey{"tokenRevocationConfig.persistent.username", String},
    KnownKey{"tokenRevocationConfig.persistent.password", String},
    // [caching]
    KnownKey{"caching.enabled", Bool},
    KnownKey{"caching.tokenCacheExpiryTime", Int},
    KnownKey{"caching.tokenCacheCapacity", Int},
    KnownKey{"caching.tokenCacheEvictionFactor", Float},
    // [analytics]
    KnownKey{"analytics.streamVersion", String},
    KnownKey{"analytics.fileUpload.enable", Bool},
    KnownKey{"analytics.fileUpload.uploadingTimeSpanInMillis", Int},
    KnownKey{"analytics.fileUpload.initialDelayInMillis", Int},
    KnownKey{"analytics.fileUpload.uploadingEndpoint", String},
    KnownKey{"analytics.fileUpload.rotatingPeriod", Int},
    KnownKey{"analytics.fileUpload.taskUploadFiles", Bool},
    KnownKey{"analytics.fileUpload.username", String},
    KnownKey{"analytics.fileUpload.password", String},
    KnownKey{"analytics.gRPCAnalytics.enable", Bool},
    KnownKey{"analytics.gRPCAnalytics.endpointURL", String},
    KnownKey{"analytics.gRPCAnalytics.reconnectTimeInMillies", Int},
    KnownKey{"analytics.ELK.**", Any},  // later 3.2.x
    KnownKey{"analytics.Choreo.**", Any},
    // [b7a.users.<name>] password, scopes: user-defined table names
    KnownKey{"b7a.users.*.password", String},
    KnownKey{"b7a.users.*.scopes", List},
    KnownKey{"b7a.users.**", Any},
    // [validationConfig], [http2]
    KnownKey{"validationConfig.enableRequestValidation", Bool},
    KnownKey{"validationConfig.enableResponseValidation", Bool},
    KnownKey{"http2.enable", Bool},
    // [httpClients]
    KnownKey{"httpClients.verifyHostname", Bool},
    KnownKey{"httpClients.disableSslVerification", Bool},
    KnownKey{"httpClients.enableHttp2", Bool},
    KnownKey{"httpClients.proxy.enable", Bool},
    KnownKey{"httpClients.proxy.enableInternalServices", Bool},
    KnownKey{"httpClients.proxy.host", String},
    KnownKey{"httpClients.proxy.port", Int},
    KnownKey{"httpClients.proxy.username", String},
    KnownKey{"httpClients.proxy.password", String},
    KnownKey{"httpClients.poolConfig.maxActiveConnections", Int},
    KnownKey{"httpClients.poolConfig.maxIdleConnections", Int},
    KnownKey{"httpClients.poolConfig.waitTimeInMillis", Int},
    KnownKey{"httpClients.poolConfig.maxActiveStreamsPerConnection", Int},
    KnownKey{"httpClients.sslConfig.**", Any},  // later 3.2.x
    KnownKey{"httpClients.responseLimits.**", Any},
    // [mutualSSLConfig]
    KnownKey{"mutualSSLConfig.protocolName", String},
    KnownKey{"mutualSSLConfig.protocolVersions", List},
    KnownKey{"mutualSSLConfig.ciphers", List},
    KnownKey{"mutualSSLConfig.sslVerifyClient", String},
    KnownKey{"mutualSSLConfig.certificateHeaderName", String},
    KnownKey{"mutualSSLConfig.isClientCertificateValidationEnabled", Bool},
    // Ours: believe certificateHeaderName from [listenerConfig] trustedProxies (default false).
    KnownKey{"mutualSSLConfig.trustCertificateHeader", Bool},
    KnownKey{"mutualSSLConfig.api.certificates.#.name", String},
    KnownKey{"mutualSSLConfig.api.certificates.#.version", String},
    KnownKey{"mutualSSLConfig.api.certificates.#.aliasList", List},
    KnownKey{"mutualSSLConfig.api.certificates.#.**", Any},
    // [throttlingConfig]
    KnownKey{"throttlingConfig.enabledGlobalTMEventPublishing", Bool},
    KnownKey{"throttlingConfig.enableHeaderConditions", Bool},
    KnownKey{"throttlingConfig.enableQueryParamConditions", Bool},
    KnownKey{"throttlingConfig.enableJwtClaimConditions", Bool},
    KnownKey{"throttlingConfig.jmsConnectionTopic", String},
    KnownKey{"throttlingConfig.jmsConnectioninitialContextFactory", String},
    KnownKey{"throttlingConfig.jmsConnectionProviderUrl", String},
    KnownKey{"throttlingConfig.jmsConnectionUsername", String},
    KnownKey{"throttlingConfig.jmsConnectionPassword", String},
    KnownKey{"throttlingConfig.throttleEndpointUrl", String},
    KnownKey{"throttlingConfig.throttleEndpointbase64Header", String},
    KnownKey{"throttlingConfig.dataRetriever.serverUrl", String},
    KnownKey{"throttlingConfig.dataRetriever.username", String},
    KnownKey{"throttlingConfig.dataRetriever.password", String},
    KnownKey{"throttlingConfig.nodeLocal.processThreadPoolCoreSize", Int},
    KnownKey{"throttlingConfig.nodeLocal.processThreadPoolMaximumSize", Int},
    KnownKey{"throttlingConfig.nodeLocal.processThreadPoolKeepAliveTime", Int},
    KnownKey{"throttlingConfig.nodeLocal.cleanUpFrequency", Int},
    KnownKey{"throttlingConfig.binary.enabled", Bool},
    KnownKey{"throttlingConfig.binary.username", String},
    KnownKey{"throttlingConfig.binary.password", String},
    KnownKey{"throttlingConfig.binary.URLGroup.#.receiverURL", String},
    KnownKey{"throttlingConfig.binary.URLGroup.#.authURL", String},
    KnownKey{"throttlingConfig.binary.URLGroup.#.type", List},
    KnownKey{"throttlingConfig.binary.URLGroup.#.**", Any},
    KnownKey{"throttlingConfig.publisherPool.maxIdle", Int},
    KnownKey{"throttlingConfig.publisherPool.initIdleCapacity", Int},
    KnownKey{"throttlingConfig.publisherThreadPool.**", Any},
    KnownKey{"throttlingConfig.agent.**", Any},
    // ours: local throttling (docs/throttling.md)
    KnownKey{"throttlingConfig.rateLimitHeaders", Bool},
    KnownKey{"throttlingConfig.counterTableSlots", Int},
    // ours: blocking conditions and the Redis global mode (docs/throttling.md)
    KnownKey{"throttlingConfig.blockingConditions.#.type", String},
    KnownKey{"throttlingConfig.blockingConditions.#.value", String},
    KnownKey{"throttlingConfig.blockingConditions.#.enabled", Bool},
    KnownKey{"throttlingConfig.redis.enabled", Bool},
    KnownKey{"throttlingConfig.redis.url", String},
    KnownKey{"throttlingConfig.redis.password", String},
    KnownKey{"throttlingConfig.redis.timeoutMillis", Int},
    KnownKey{"throttlingConfig.redis.failOpen", Bool},
    KnownKey{"throttlingConfig.redis.syncIntervalMillis", Int},
    KnownKey{"throttlingConfig.redis.blockingPollMillis", Int},
    KnownKey{"throttlingConfig.redis.keyPrefix", String},
    KnownKey{"throttlingConfig.redis.tableSlots", Int},
    // [b7a.observability]
    KnownKey{"b7a.observability.metrics.enabled", Bool},
    KnownKey{"b7a.observability.metrics.reporter", String},
    KnownKey{"b7a.observability.metrics.prometheus.port", Int},
    KnownKey{"b7a.observability.metrics.prometheus.jmx_port", Int},
    KnownKey{"b7a.observability.metrics.prometheus.secure_port", Int},
    KnownKey{"b7a.observability.tracing.enabled", Bool},
    KnownKey{"b7a.observability.tracing.name", String},
    KnownKey{"b7a.observability.tracing.reporter", String},
    KnownKey{"b7a.observability.tracing.jaeger.reporter.port", Int},
    KnownKey{"b7a.observability.tracing.jaeger.reporter.hostname", String},
    KnownKey{"b7a.observability.**", Any},
    // [apikey]
    KnownKey{"apikey.tokenConfigs.issuer", String},
    KnownKey{"apikey.tokenConfigs.certificateAlias", String},
    KnownKey{"apikey.tokenConfigs.validateAllowedAPIs", Bool},
    KnownKey{"apikey.issuer.tokenConfig.enabled", Bool},
    KnownKey{"apikey.issuer.tokenConfig.keyStorePath", String},
    KnownKey{"apikey.issuer.tokenConfig.keyStorePassword", String},
    KnownKey{"apikey.issuer.tokenConfig.issuer", String},
    KnownKey{"apikey.issuer.tokenConfig.certificateAlias", String},
    KnownKey{"apikey.issuer.tokenConfig.validityTime", Int},
    KnownKey{"apikey.issuer.api.#.name", String},
    KnownKey{"apikey.issuer.api.#.versions", List},
    KnownKey{"apikey.issuer.api.#.**", Any},
    // [jwtGeneratorConfig]
    KnownKey{"jwtGeneratorConfig.jwtGeneratorEnabled", Bool},
    KnownKey{"jwtGeneratorConfig.claimDialect", String},
    KnownKey{"jwtGeneratorConfig.signingAlgorithm", String},
    KnownKey{"jwtGeneratorConfig.certificateAlias", String},
    KnownKey{"jwtGeneratorConfig.privateKeyAlias", String},
    KnownKey{"jwtGeneratorConfig.tokenExpiry", Int},
    KnownKey{"jwtGeneratorConfig.restrictedClaims", List},
    KnownKey{"jwtGeneratorConfig.issuer", String},
    KnownKey{"jwtGeneratorConfig.audience", List},
    KnownKey{"jwtGeneratorConfig.generatorImpl", String},
    KnownKey{"jwtGeneratorConfig.claimRetrieval.retrieverImpl", String},
    KnownKey{"jwtGeneratorConfig.claimRetrieval.enable", Bool},
    KnownKey{"jwtGeneratorConfig.claimRetrieval.configuration.**", Any},
    KnownKey{"jwtGeneratorConfig.jwtGeneratorCaching.tokenCacheEnable", Bool},
    KnownKey{"jwtGeneratorConfig.jwtGeneratorCaching.tokenCacheExpiryTime", Int},
    KnownKey{"jwtGeneratorConfig.jwtGeneratorCaching.tokenCacheCapacity", Int},
    KnownKey{"jwtGeneratorConfig.jwtGeneratorCaching.tokenCacheEvictionFactor", Float},
    // [apim], [security]
    KnownKey{"apim.credentials.username", String},
    KnownKey{"apim.credentials.password", String},
    KnownKey{"apim.eventHub.enable", Bool},
    KnownKey{"apim.eventHub.serviceUrl", String},
    KnownKey{"apim.eventHub.internalDataContext", String},
    KnownKey{"apim.eventHub.username", String},
    KnownKey{"apim.eventHub.password", String},
    KnownKey{"apim.eventHub.eventListeningEndpoints", List},
    KnownKey{"apim.eventHub.listOfTenants", List},
    KnownKey{"security.validateSubscriptions", Bool},
    // etcd endpoint discovery (top-level keys)
    KnownKey{"etcdurl", String},
    KnownKey{"etcdusername", String},
    KnownKey{"etcdpassword", String},
    KnownKey{"etcdtimer", Int},
    KnownKey{"etcdbasepath", String},
    // Passed by WSO2's `gateway` launcher script.
    KnownKey{"b7a.config.file", String},
    KnownKey{"api.usage.data.path", String},
};

bool segmentEquals(std::string_view pattern_seg, std::string_view key_seg) {
  if (pattern_seg == "*")
    return !key_seg.empty();
  if (pattern_seg == "#")
    return parseDecimal(key_seg).has_value();
  return iequals(pattern_seg, key_seg);
}

// Matches dotted `key` against dotted `pattern` segment by segment.
bool matches(std::string_view pattern, std::string_view key) {
  while (true) {
    size_t pdot = pattern.find('.');
    std::string_view pseg = pattern.substr(0, pdot);
    if (pseg == "**")
      return !key.empty();
    size_t kdot = key.find('.');
    std::string_view kseg = key.substr(0, kdot);
    if (!segmentEquals(pseg, kseg))
      return false;
    if (pdot == std::string_view::npos || kdot == std::string_view::npos) {
      return pdot == std::string_view::npos && kdot == std::string_view::npos;
    }
    pattern.remove_prefix(pdot + 1);
    key.remove_prefix(kdot + 1);
  }
}

bool endsWithI(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Strips "_<digits>" from the end of `s`; false when absent.
bool stripIndex(std::string_view& s) {
  size_t us = s.rfind('_');
  if (us == std::string_view::npos || !parseDecimal(s.substr(us + 1)))
    return false;
  s = s.substr(0, us);
  return true;
}

// Strips "_prod" / "_sand" and requires a non-empty endpoint name before it.
bool stripKeyTypeAndName(std::string_view s) {
  if (!endsWithI(s, "_prod") && !endsWithI(s, "_sand"))
    return false;
  return s.size() > 5;
}

}  // namespace

const KnownKey* findKnownKey(std::string_view key) {
  for (const KnownKey& k : kKnownKeys) {
    if (matches(k.pattern, key))
      return &k;
  }
  return nullptr;
}

std::span<const KnownKey> knownKeys() {
  return kKnownKeys;
}

bool isWildcardPattern(std::string_view pattern) {
  return pattern.find('*') != std::string_view::npos || pattern.find('#') != std::string_view::npos;
}

std::string_view typeName(KeyType type) {
  switch (type) {
    case Any:
      return "any";
    case String:
      return "string";
    case Int:
      return "integer";
    case Bool:
      return "boolean";
    case Float:
      return "number";
    case List:
      return "array or comma-separated string";
  }
  return "any";
}

bool isEndpointOverrideKey(std::string_view key) {
  if (key.empty() || key.find('.') != std::string_view::npos)
    return false;
  std::string_view s = key;
  if (endsWithI(s, "_basic_username") || endsWithI(s, "_basic_password")) {
    return stripKeyTypeAndName(s.substr(0, s.size() - 15));
  }
  if (endsWithI(s, "_etcdKey")) {
    s.remove_suffix(8);
    return stripIndex(s) && stripKeyTypeAndName(s);
  }
  if (!stripIndex(s) || !endsWithI(s, "_endpoint"))
    return false;
  s.remove_suffix(9);
  return stripKeyTypeAndName(s);
}

}  // namespace mgw::config::detail
