package upstream

import (
	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// onMO hands an MO message to the account its destination belongs to
// (Routes.MOAccount).
func (d *Dispatcher) onMO(dl *client.Delivery) error {
	acct := d.routes.MOAccount(dl.Destination)
	if acct == "" {
		d.metrics.MO("", "unrouted")
		return nil // acknowledged and dropped: nobody takes it (logged)
	}
	dsm, ok := dl.PDU.(*pdu.DeliverSM)
	if !ok || dl.Message == nil {
		return nil
	}
	d.metrics.MO(acct, "routed")
	// A reassembled long message goes on as one message_payload.
	out := &pdu.DeliverSM{ServiceType: dsm.ServiceType, SourceAddrTON: dsm.SourceAddrTON, SourceAddrNPI: dsm.SourceAddrNPI,
		SourceAddr: dsm.SourceAddr, DestAddrTON: dsm.DestAddrTON, DestAddrNPI: dsm.DestAddrNPI, DestinationAddr: dsm.DestinationAddr,
		ProtocolID: dsm.ProtocolID, PriorityFlag: dsm.PriorityFlag, DataCoding: dsm.DataCoding}
	if len(dl.Message.Payload) <= 254 && dl.Message.Total <= 1 {
		out = dsm.Clone()
		out.TLVs = deliverSMTLVs(out.TLVs)
	} else {
		out.TLVs.SetMessagePayload(append([]byte(nil), dl.Message.Payload...))
	}
	if d.deliverMO == nil {
		return nil
	}
	return d.deliverMO(acct, out)
}
