// txn-meta-data.source_info values that come from the gateway, read once per root context (they do not
// change while a plugin configuration lives). Glue: reads properties through host.ts.
//   pool_id     <- plugin_name: the filter/plugin name Flex gives the policy binding on an API instance,
//                  so it names the API instance (pool) the call went through;
//   instance_id <- node.id: the Envoy node id of this gateway (replica); falls back to xds.node.id,
//                  then to plugin_vm_id, so the field is never silently empty where the gateway knows.
import { getPropertyBytes } from "../host";
import { SourceInfo } from "./transaction";
import { Utf8, utf8 } from "../literals";

const cache = new Map<u32, SourceInfo>();

function propertyString(path: Utf8): string {
  const b = getPropertyBytes(path);
  if (b == null || b.byteLength == 0) return "";
  return String.UTF8.decode(b);
}

export function sourceInfoFor(rootContextId: u32): SourceInfo {
  if (cache.has(rootContextId)) return cache.get(rootContextId);
  const pool = propertyString(utf8("plugin_name"));
  let instance = propertyString(utf8("node\0id"));
  if (instance.length == 0) instance = propertyString(utf8("xds\0node\0id"));
  if (instance.length == 0) instance = propertyString(utf8("plugin_vm_id"));
  const info = new SourceInfo(pool, instance);
  cache.set(rootContextId, info);
  return info;
}

