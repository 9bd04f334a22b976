// lastunit storefront widget — include once per page:
//
//   <script type="module" src="https://EDGE/widget/lastunit.js" data-lastunit-key="STOREFRONT_KEY"></script>
//   <div data-lastunit-sku="A" data-lastunit-channel="web"></div>
//   <button data-lastunit-add-to-cart="A">Add to cart</button>
//
// Public API (also on window.lastunit; every call is safe before the widget has loaded):
//   lastunit.ready                          Promise, resolves once the widget runs
//   lastunit.configure({key, endpoint, channel, cartId, ttlSeconds, pollMs})
//   lastunit.reserve(sku, quantity = 1, {channel, cartId, ttlSeconds, idempotencyKey})
//       → Promise<{reservation_id, cart_id, channel, lines, expires_at}>; rejects with an Error
//         carrying .error ("insufficient_stock", "unauthorized", "unreachable", ...), .status and,
//         for insufficient_stock, .available. While the hold stands, "Held for you for 9:41" counts
//         down in the SKU's elements.
//   lastunit.release(reservationId)         → Promise<{status: "released"}>
//   lastunit.refresh()                      look for new widget elements now (also automatic)
// Each widget element fires a bubbling `lastunit:availability` event ({sku, channel, status,
// available}) when what it shows changes. See www/README.md.
import init, { boot, configure as configureWasm, release as releaseWasm, reserve as reserveWasm, refresh as refreshWasm } from './lastunit_widget.js';

export const ready = init({ module_or_path: new URL('lastunit_widget_bg.wasm', import.meta.url) }).then(() => {
  boot(import.meta.url);
});
ready.catch((e) => console.warn('lastunit: the widget could not start', e));

export const configure = (opts = {}) => ready.then(() => configureWasm(opts));
export const reserve = (sku, quantity = 1, opts = {}) => ready.then(() => reserveWasm(String(sku), Number(quantity), opts));
export const release = (reservationId) => ready.then(() => releaseWasm(String(reservationId)));
export const refresh = () => ready.then(() => refreshWasm());

const api = { ready, configure, reserve, release, refresh };
export default api;
if (typeof window !== 'undefined') window.lastunit = Object.assign(window.lastunit || {}, api);
