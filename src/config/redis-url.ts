/**
 * REDIS_URL names one Redis (`redis://[user:password@]host:port[/db]`) or the seed nodes of a Redis
 * Cluster, comma-separated in the host part (`redis://[user:password@]h1:p1,h2:p2,h3:p3`): two or
 * more nodes mean a cluster. `rediss://` turns on TLS for every node. The WHATWG URL parser refuses
 * a host list, so this is the one parser of the variable (config validation and the connection
 * factory both use it).
 */
export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTarget {
  /** One node: a single Redis. Several: seed nodes of a Redis Cluster. */
  nodes: RedisNode[];
  cluster: boolean;
  tls: boolean;
  username?: string;
  password?: string;
  /** Database number (a single Redis only: a cluster has database 0 alone). */
  db?: number;
}

export function parseRedisUrl(raw: string): RedisTarget {
  // A query (`?family=6`, ioredis's options) is left to ioredis for a single server.
  const m = /^(redis|rediss):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/(\d*))?\/?(?:\?[^#]*)?$/.exec(raw.trim());
  if (!m) throw new Error(`is not a URL of the form redis://[user:password@]host:port[,host:port…][/db] (or rediss://): "${raw}"`);
  const [, scheme, auth, hostList, dbText] = m;
  const nodes = hostList!.split(',').map((hostPort) => {
    const hp = /^(\[[^\]]+\]|[^:,]+)(?::(\d+))?$/.exec(hostPort.trim());
    if (!hp) throw new Error(`"${hostPort}" is not host:port`);
    const port = hp[2] === undefined ? 6379 : Number(hp[2]);
    if (port < 1 || port > 65535) throw new Error(`port ${port} of "${hostPort}" is out of range`);
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const cluster = nodes.length > 1;
  const db = dbText ? Number(dbText) : undefined;
  if (cluster && db) throw new Error('a Redis Cluster has only database 0: drop the /db part');
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
  }
  return {
    nodes,
    cluster,
    tls: scheme === 'rediss',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}
