@srv:8.14.2 @level:clause
Feature: SR 8.14.2 Communications Hub Status Update - Install No SM WAN (MP081 DUIS 3.8.106.3, 3.8.114.4)
  The general check E5 (Service Request applicable to the Device status) is not carried out. E081401: the device
  notified is not a CHF. E081402: the install date and time is in the future. W081401: the CHF is not
  InstalledNotCommissioned, a warning: the request is still processed, and a Pending CHF (and its GPF, if also
  Pending) becomes InstalledNotCommissioned. The frame check ends each scenario that judges a status: the devices
  of the estate changed by exactly the statuses the scenario judges (no other device, no other field).

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.106.3 @clause:MP081-DUIS-3.8.114.4
  Scenario Outline: Whatever the CHF's status, no E5; W081401 unless it is InstalledNotCommissioned; Pending hubs move on
    Given the CHF is in status "<chf>"
    And the GPF is in status "<gpf>"
    When the user notifies the installation of the CHF without SM WAN, installed 30 minutes ago
    Then the request is <outcome>
    And the inventory shows the CHF in status "<chf after>"
    And the inventory shows the GPF in status "<gpf after>"
    And nothing else observable changed

    Examples:
      | chf                      | gpf                      | outcome                    | chf after                | gpf after                |
      | Pending                  | Pending                  | accepted with W081401      | InstalledNotCommissioned | InstalledNotCommissioned |
      | Pending                  | Commissioned             | accepted with W081401      | InstalledNotCommissioned | Commissioned             |
      | Pending                  | Withdrawn                | accepted with W081401      | InstalledNotCommissioned | Withdrawn                |
      | InstalledNotCommissioned | Pending                  | accepted without a warning | InstalledNotCommissioned | Pending                  |
      | Commissioned             | Commissioned             | accepted with W081401      | Commissioned             | Commissioned             |
      | Commissioned             | Pending                  | accepted with W081401      | Commissioned             | Pending                  |
      | Suspended                | Pending                  | accepted with W081401      | Suspended                | Pending                  |
      | Withdrawn                | Withdrawn                | accepted with W081401      | Withdrawn                | Withdrawn                |

  @clause:MP081-DUIS-3.8.106.3
  Scenario: A notification without an install date and time is not refused for its date
    Given the CHF is in status "InstalledNotCommissioned"
    When the user notifies the installation of the CHF without SM WAN, with no install date and time
    Then the request is accepted without a warning
    And the inventory shows the CHF in status "InstalledNotCommissioned"
    And nothing else observable changed

  @clause:MP081-DUIS-3.8.106.3
  Scenario Outline: E081401 when the device notified is not a CHF, and nothing changes
    Given the <device> is in the inventory
    When the user notifies the installation of the <device> without SM WAN, installed 30 minutes ago
    Then the request is refused as "chf-install-not-a-chf"

    Examples:
      | device |
      | ESME   |
      | GSME   |
      | GPF    |
      | PPMID  |
      | CAD    |

  @clause:MP081-DUIS-3.8.106.3
  Scenario: E081402 when the install date and time is in the future, whatever the CHF's status
    When the user notifies the installation of the CHF without SM WAN, installed in 2 days
    Then the request is refused as "chf-install-in-the-future"

  # The boundary of "in the future" is now: just ahead of it is refused, just behind it is not; and the moment is
  # the instant the date-time names, whatever UTC offset it is written with (a time written at UTC+05:00 reads, on
  # its clock, hours ahead of UTC; one at UTC-05:00 hours behind), or without one (the schema allows it).
  @clause:MP081-DUIS-3.8.106.3
  Scenario Outline: E081402 just ahead of now, whatever the offset the time is written with
    Given the CHF is in status "InstalledNotCommissioned"
    When the user notifies the installation of the CHF without SM WAN, <when>
    Then the request is refused as "chf-install-in-the-future"
    And the inventory shows the CHF in status "InstalledNotCommissioned"
    And nothing else observable changed

    Examples:
      | when                                            |
      | installed in 10 minutes                         |
      | installed in 2 hours, written at UTC-05:00      |
      | installed in 2 hours, written without an offset |

  @clause:MP081-DUIS-3.8.106.3
  Scenario Outline: No E081402 just behind now, whatever the offset the time is written with
    Given the CHF is in status "InstalledNotCommissioned"
    When the user notifies the installation of the CHF without SM WAN, <when>
    Then the request is accepted without a warning
    And the inventory shows the CHF in status "InstalledNotCommissioned"
    And nothing else observable changed

    Examples:
      | when                                                |
      | installed 2 minutes ago                             |
      | installed 30 minutes ago, written at UTC+05:00      |
      | installed 90 minutes ago, written without an offset |

  @clause:MP081-DUIS-3.8.106.3 @clause:MP081-DUIS-3.8.114.4
  Scenario: E081402 when the install date and time is in the future, and a Pending CHF stays Pending
    Given the CHF is in status "Pending"
    And the GPF is in status "Pending"
    When the user notifies the installation of the CHF without SM WAN, installed in 2 days
    Then the request is refused as "chf-install-in-the-future"
    And the inventory shows the CHF in status "Pending"
    And the inventory shows the GPF in status "Pending"
    And nothing else observable changed
