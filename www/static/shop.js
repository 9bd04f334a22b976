// The demo shop's own code: a tiny cart on top of the lastunit widget's public API.
// Adding to the cart holds the unit at the edge (lastunit.reserve); removing gives it back
// (lastunit.release). The widget shows the hold's countdown next to the product by itself.
const lastunit = await import('/widget/lastunit.js');

// reservation_id → {sku, title}; kept for the tab, like the widget keeps its holds.
const lines = new Map(JSON.parse(sessionStorage.getItem('fern-cart') || '[]'));
const $ = (s) => document.querySelector(s);
const cart = $('#cart');
let toastTimer;

function toast(text) {
  const t = $('.toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 4000);
}

function drawCart() {
  sessionStorage.setItem('fern-cart', JSON.stringify([...lines]));
  const ul = $('.cart-lines');
  ul.replaceChildren();
  for (const [id, line] of lines) {
    const li = document.createElement('li');
    li.textContent = line.title;
    const remove = document.createElement('button');
    remove.textContent = 'Remove';
    remove.addEventListener('click', async () => {
      lines.delete(id);
      drawCart();
      await lastunit.release(id).catch(() => {});
    });
    li.append(remove);
    ul.append(li);
  }
  $('.cart-count').textContent = String(lines.size);
  $('.cart-empty').hidden = lines.size > 0;
}

$('.cart-toggle').addEventListener('click', () => {
  cart.hidden = !cart.hidden;
  $('.cart-toggle').setAttribute('aria-expanded', String(!cart.hidden));
});

document.addEventListener('click', async (e) => {
  const button = e.target.closest('[data-lastunit-add-to-cart]');
  if (!button || button.disabled) return;
  const sku = button.dataset.lastunitAddToCart;
  const title = button.closest('.product')?.querySelector('h2')?.textContent ?? sku;
  button.disabled = true;
  try {
    const r = await lastunit.reserve(sku, 1);
    lines.set(r.reservation_id, { sku, title });
    drawCart();
    toast(`${title} is in your cart, held for 10 minutes.`);
  } catch (err) {
    toast(err.error === 'insufficient_stock' ? `Sorry, ${title} just sold out.` : `Could not add ${title}: ${err.message}`);
  } finally {
    // Let the widget decide: it keeps sold-out buttons disabled.
    if (button.getAttribute('data-lastunit-status') !== 'out_of_stock') button.disabled = false;
  }
});

drawCart();

// A hold that lapses leaves the cart too.
setInterval(() => {
  let changed = false;
  for (const [id, line] of lines) {
    const el = document.querySelector(`[data-lastunit-sku="${CSS.escape(line.sku)}"]`);
    if (el && !el.querySelector('[data-lastunit-part="hold"]')) {
      lines.delete(id);
      changed = true;
    }
  }
  if (changed) drawCart();
}, 1000);
