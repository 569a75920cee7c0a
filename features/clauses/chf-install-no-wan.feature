@srv:8.14.2 @level:clause
Feature: SR 8.14.2 Communications Hub Status Update - Install No SM WAN (MP081 DUIS 3.8.106.3, 3.8.114.4)

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.106.3 @clause:MP081-DUIS-3.8.114.4 @release:from-2020-11
  Scenario Outline: No E5; W081401 unless the CHF is InstalledNotCommissioned; Pending hubs move on
    Given the CHF is in status "<chf>"
    And the GPF is in status "<gpf>"
    When the user notifies the installation of the CHF without SM WAN
    Then the response code is <code>
    And the inventory shows the CHF in status "<chf after>"
    And the inventory shows the GPF in status "<gpf after>"

    Examples:
      | chf                      | gpf                      | code    | chf after                | gpf after                |
      | Pending                  | Pending                  | W081401 | InstalledNotCommissioned | InstalledNotCommissioned |
      | Pending                  | Commissioned             | W081401 | InstalledNotCommissioned | Commissioned             |
      | InstalledNotCommissioned | Pending                  | I99     | InstalledNotCommissioned | Pending                  |
      | Commissioned             | Commissioned             | W081401 | Commissioned             | Commissioned             |
      | Suspended                | Pending                  | W081401 | Suspended                | Pending                  |
      | Withdrawn                | Withdrawn                | W081401 | Withdrawn                | Withdrawn                |

  @clause:MP081-DUIS-3.8.106.3 @release:from-2020-11
  Scenario: E081401 when the device notified is not a CHF
    When the user notifies the installation of the ESME without SM WAN
    Then the response code is E081401

  @clause:MP081-DUIS-3.8.106.3 @release:from-2020-11
  Scenario: E081402 when the install date and time is in the future
    When the user notifies the installation of the CHF without SM WAN in the future
    Then the response code is E081402

  @clause:MP081-DUIS-3.8.106.3 @release:before-2020-11
  Scenario: Before MP081 the device status check E5 applies
    Given the CHF is in status "Pending"
    When the user notifies the installation of the CHF without SM WAN
    Then the response code is E5
    And the inventory shows the CHF in status "Pending"
