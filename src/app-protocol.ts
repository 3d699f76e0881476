/**
 * Application protocol of a Service port, as Istio's protocol selection reads it
 * (the port name prefix `<protocol>[-<suffix>]` and the `appProtocol` field).
 */
export enum AppProtocol {
  HTTP = 'http',
  HTTP2 = 'http2',
  HTTPS = 'https',
  GRPC = 'grpc',
  GRPC_WEB = 'grpc-web',
  TCP = 'tcp',
  TLS = 'tls',
  MONGO = 'mongo',
  MYSQL = 'mysql',
  REDIS = 'redis',
}
