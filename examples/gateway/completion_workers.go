package main

// completionWorkers write upstream answers to the store (upstream.Options.Later)
// and settle the ESMEs' answers to deliveries (deliveries.go); many at once
// let the store commit them together.
const completionWorkers = 256

// later runs f on a completion worker: callbacks that run on a session's read
// loop must not block it with store writes. Once the gateway stops, f runs
// at once: nothing handed over is dropped.
func (gw *Gateway) later(f func()) {
	select {
	case gw.work <- f:
	case <-gw.ctx.Done():
		f()
	}
}

func (gw *Gateway) worker() {
	defer gw.wg.Done()
	for {
		select {
		case f := <-gw.work:
			f()
		case <-gw.ctx.Done():
			// Finish what was handed over.
			for {
				select {
				case f := <-gw.work:
					f()
				default:
					return
				}
			}
		}
	}
}
