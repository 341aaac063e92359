#!/usr/bin/perl
# esme.pl: an ESME (SMPP client) on Perl Net::SMPP (Debian libnet-smpp-perl), for driving
# an SMSC under test. The same scenario and events as esme.js, smaller: plain TCP only, no
# --malformed. It prints one JSON object per line on stdout and exits 0 when the scenario
# ran, 1 when it could not (bind refused, connection lost, timeout), 2 for bad options.
#
# Scenario: connect -> bind (interface_version 0x34) -> --enquire enquire_links ->
# --count submit_sm (at most --window outstanding) -> wait for --wait-receipts receipts
# and --wait-deliver other deliver_sm -> --query -> --hold ms -> unbind -> close.
#
# Options (defaults in brackets):
#   --host [127.0.0.1] --port [2775] --system-id [test] --password [secret] --system-type []
#   --bind trx|tx|rx [trx] --count N [1; 0 for rx] --window W [1]
#   --text T ["hello {i}"] --message-hex H[,H2,...] (submit i sends H((i-1) mod n))
#   --data-coding N [0] --esm-class N [0]
#   --src A [1000] --dst A [2000] --registered-delivery --wait-receipts N [0]
#   --wait-deliver N [0] --query --enquire N [1] --hold MS [0] --no-unbind --timeout S [30]
#
# Events ("impl":"perl"): connected, bound {bind, status, system_id, sc_interface_version},
# bind_failed, enquire_link_resp, submit_resp {index, seq, status, message_id},
# deliver_sm {seq, is_receipt, esm_class, data_coding, source_addr, destination_addr,
# short_message, short_message_hex, receipt, receipted_message_id, message_state, tlvs},
# enquire_link, unbind_received, generic_nack, query_resp, unbound, closed, done, error.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use Getopt::Long;
use IO::Select;
use Time::HiRes qw(time sleep);
use JSON::PP ();
use Net::SMPP;
use PeerUtil qw(emit sm_fields parse_receipt printable);

my %o = (host => '127.0.0.1', port => 2775, 'system-id' => 'test', password => 'secret', 'system-type' => '',
         bind => 'trx', window => 1, text => 'hello {i}', 'message-hex' => '', 'data-coding' => 0,
         'esm-class' => 0, src => '1000', dst => '2000', 'wait-receipts' => 0, 'wait-deliver' => 0,
         enquire => 1, hold => 0, timeout => 30);
GetOptions(\%o, 'host=s', 'port=i', 'system-id=s', 'password=s', 'system-type=s', 'bind=s', 'count=i',
           'window=i', 'text=s', 'message-hex=s', 'data-coding=i', 'esm-class=i', 'src=s', 'dst=s',
           'registered-delivery', 'wait-receipts=i', 'wait-deliver=i', 'query', 'enquire=i', 'hold=i',
           'no-unbind', 'timeout=i')
  or do { print STDERR "esme.pl: bad options (see the header of the script)\n"; exit 2; };
my %BIND = (trx => 'bind_transceiver', tx => 'bind_transmitter', rx => 'bind_receiver');
$BIND{$o{bind}} or do { print STDERR "esme.pl: --bind must be trx, tx or rx\n"; exit 2; };
my $count = $o{count} // ($o{bind} eq 'rx' ? 0 : 1);
my $window = $o{window} < 1 ? 1 : $o{window};
my $deadline = time + $o{timeout};
my $stage = 'connect';

sub fail {
  my ($msg) = @_;
  emit('error', message => $msg);
  print STDERR "esme.pl: $msg\n";
  exit 1;
}

my $c = Net::SMPP->new_connect($o{host}, port => $o{port}, smpp_version => 0x34, async => 1, timeout => 5)
  or fail("connect to $o{host}:$o{port}: $!");
emit('connected', tls => JSON::PP::false);
my $sel = IO::Select->new($c);
my %responses;           # seq -> response PDU
my (@receipts, @delivers);
my $closing = 0;

# pump reads and handles one PDU, waiting at most $wait seconds for it.
sub pump {
  my ($wait) = @_;
  return unless $sel->can_read($wait);
  my $pdu = $c->read_pdu;
  if (!defined $pdu) {
    emit('closed');
    fail("connection closed during $stage") unless $closing;
    return;
  }
  my $seq = $pdu->{seq} + 0;
  if ($pdu->{cmd} == 0x80000000) {
    emit('generic_nack', seq => $seq, status => $pdu->{status} + 0);
    $responses{$seq} = $pdu;
  } elsif ($pdu->{cmd} & 0x80000000) {
    $responses{$seq} = $pdu;
  } elsif ($pdu->{cmd} == 0x15) {
    emit('enquire_link', seq => $seq);
    $c->enquire_link_resp(seq => $seq);
  } elsif ($pdu->{cmd} == 0x05) {
    $c->deliver_sm_resp(seq => $seq, message_id => '');
    my $f = sm_fields('deliver_sm', $pdu->{data});
    my $bytes = $f->{short_message_hex} ? pack('H*', $f->{short_message_hex}) : '';
    $bytes = pack('H*', $f->{message_payload_hex}) if !length $bytes && $f->{message_payload_hex};
    my $is_receipt = (($f->{esm_class} // 0) & 0x3c) == 0x04;
    my $ev = { seq => $seq, is_receipt => $is_receipt ? JSON::PP::true : JSON::PP::false,
               esm_class => $f->{esm_class}, data_coding => $f->{data_coding},
               source_addr => $f->{source_addr}, destination_addr => $f->{destination_addr},
               short_message => printable($bytes), short_message_hex => $f->{short_message_hex} // '',
               receipt => $is_receipt ? parse_receipt($bytes) : undef,
               receipted_message_id => $f->{receipted_message_id}, message_state => $f->{message_state},
               tlvs => $f->{tlvs} // [] };
    $ev->{body_error} = $f->{body_error} if $f->{body_error};
    emit('deliver_sm', %$ev);
    push @{ $is_receipt ? \@receipts : \@delivers }, $ev;
  } elsif ($pdu->{cmd} == 0x06) {
    emit('unbind_received', seq => $seq);
    $closing = 1;
    $c->unbind_resp(seq => $seq);
  } else {
    $c->generic_nack(seq => $seq, status => 0x03);
  }
}

# wait_until pumps PDUs until $cond returns true or the deadline passes.
sub wait_until {
  my ($cond) = @_;
  until ($cond->()) {
    my $left = $deadline - time;
    fail("timeout after $o{timeout}s during $stage") if $left <= 0;
    pump($left < 0.5 ? $left : 0.5);
  }
}

sub response {
  my ($seq) = @_;
  wait_until(sub { exists $responses{$seq} });
  return delete $responses{$seq};
}

# ---------------------------------------------------------------- bind
$stage = 'bind';
my $bind = $BIND{$o{bind}};
my $br = response($c->$bind(system_id => $o{'system-id'}, password => $o{password},
                            system_type => $o{'system-type'}, interface_version => 0x34,
                            addr_ton => 0, addr_npi => 0, address_range => ''));
if ($br->{status}) {
  emit('bind_failed', bind => $o{bind}, status => $br->{status} + 0);
  fail(sprintf('bind refused with status 0x%x', $br->{status}));
}
emit('bound', bind => $o{bind}, status => 0, system_id => $br->{system_id},
     sc_interface_version => defined $br->{sc_interface_version} ? unpack('C', $br->{sc_interface_version}) : undef);

$stage = 'enquire_link';
for (1 .. $o{enquire}) {
  my $r = response($c->enquire_link(async => 1));
  emit('enquire_link_resp', seq => $r->{seq} + 0, status => $r->{status} + 0);
}

# ---------------------------------------------------------------- submit_sm
$stage = 'submit_sm';
my (%outstanding, @accepted);    # seq -> index
my ($next, $answered) = (0, 0);
while ($answered < $count) {
  while (keys %outstanding < $window && $next < $count) {
    my @hexes = split /,/, $o{'message-hex'};    # several: submit i sends hex (i-1) mod n
    my $sm = @hexes ? pack('H*', $hexes[$next % @hexes]) : $o{text} =~ s/\{i\}/$next + 1/ger;
    my $seq = $c->submit_sm(source_addr => $o{src}, destination_addr => $o{dst}, esm_class => $o{'esm-class'},
                            data_coding => $o{'data-coding'}, registered_delivery => $o{'registered-delivery'} ? 1 : 0,
                            short_message => $sm, async => 1);
    $outstanding{$seq} = $next++;
  }
  wait_until(sub { grep { exists $responses{$_} } keys %outstanding });
  for my $seq (grep { exists $responses{$_} } sort { $a <=> $b } keys %outstanding) {
    my $r = delete $responses{$seq};
    my $i = delete $outstanding{$seq};
    $answered++;
    my $ok = $r->{status} == 0;
    push @accepted, $r->{message_id} if $ok;
    emit('submit_resp', index => $i, seq => $seq + 0, status => $r->{status} + 0,
         message_id => $ok ? $r->{message_id} : undef);
  }
}

$stage = 'waiting for deliver_sm';
wait_until(sub { @receipts >= $o{'wait-receipts'} && @delivers >= $o{'wait-deliver'} });

if ($o{query}) {
  $stage = 'query_sm';
  for my $id (@accepted) {
    my $r = response($c->query_sm(message_id => $id, source_addr => $o{src}, async => 1));
    emit('query_resp', message_id => $id, seq => $r->{seq} + 0, status => $r->{status} + 0,
         message_state => $r->{message_state}, final_date => $r->{final_date}, error_code => $r->{error_code});
  }
}

if ($o{hold} > 0) {
  $stage = 'hold';
  my $until = time + $o{hold} / 1000;
  wait_until(sub { time >= $until });
}

$stage = 'unbind';
$closing = 1;
if (!$o{'no-unbind'}) {
  my $r = response($c->unbind(async => 1));
  emit('unbound', status => $r->{status} + 0);
}
close $c;
emit('done', submitted => $count, accepted => scalar @accepted, rejected => $count - @accepted,
     receipts => scalar @receipts, delivers => scalar @delivers);
exit 0;
