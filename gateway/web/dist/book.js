import{a as e}from"./rolldown-runtime.js";import{i as t,n,t as r}from"./jsx-runtime.js";import{t as i}from"./page-data.js";var a=e(t(),1),o=n(),s=class extends String{__apiType;value;__meta__;constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}},c=new s(`
    subscription AvailabilityChanged($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime, $durationMinutes: Int) {
  availabilityChanged(
    slug: $slug
    timeZone: $timeZone
    from: $from
    to: $to
    durationMinutes: $durationMinutes
  ) {
    slug
    reason
    removed {
      start
      end
      durationMinutes
    }
    added {
      start
      end
      durationMinutes
    }
    at
  }
}
    `,{hash:`sha256:c07523e16495797529a0b9b9d6a30e75f227ef32cc3a569313953af8c8a75321`}),l=new s(`
    mutation BookMeeting($input: BookMeetingInput!) {
  bookMeeting(input: $input) {
    __typename
    ... on BookingConfirmed {
      start
      end
      durationMinutes
      timeZone
      subject
      location
      webConferenceUrl
      contactId
      calendarEventId
      isOffline
      guestEmails
    }
    ... on SlotUnavailable {
      message
      start
      durationMinutes
    }
    ... on InvalidBookingInput {
      message
      errors {
        field
        code
        message
      }
    }
    ... on MeetingLinkNotFound {
      message
      slug
    }
    ... on UpstreamUnavailable {
      message
      retryAfterSeconds
    }
    ... on BookingInProgress {
      message
      retryAfterSeconds
    }
    ... on BookingOutcomeUnknown {
      message
    }
    ... on HoldExpired {
      message
    }
  }
}
    `,{hash:`sha256:b88f366638fe4a9245d8b393207c4ff675ab29893f85737d8c680860cdeb383c`}),u=new s(`
    query BookingPage($slug: String!, $timeZone: TimeZone!) {
  meetingLink(slug: $slug) {
    slug
    name
    type
    organizerUserId
    bookingInfo(timeZone: $timeZone) {
      timeZone
      durationsMinutes
      bookingWindow {
        start
        end
      }
      formFields {
        name
        label
        fieldType
        required
        options {
          label
          value
        }
      }
      guestSettings {
        canAddGuests
        maxGuestCount
      }
      legalConsent {
        enabled
        processingConsentType
        processingConsentText
        processingConsentCheckboxLabel
        communicationConsentText
        privacyPolicyText
        checkboxes {
          communicationTypeId
          label
          required
        }
      }
      branding {
        companyName
        primaryColor
      }
      members {
        userId
        fullName
      }
      location
      welcomeTitle
      welcomeDescription
    }
  }
}
    `,{hash:`sha256:2665fd4eb07bf66442178de18c8d320469b6497a45f2df2be026af3fc84454d3`});new s(`
    query EarliestSlot($slugs: [String!]!, $timeZone: TimeZone!, $durationMinutes: Int, $after: DateTime) {
  earliestSlot(
    slugs: $slugs
    timeZone: $timeZone
    durationMinutes: $durationMinutes
    after: $after
  ) {
    meetingLink {
      slug
      name
      organizerUserId
    }
    slot {
      start
      end
      durationMinutes
    }
  }
}
    `,{hash:`sha256:f55c813924a1c241b9d65c6a1dc58afab041e09f0f56a28c1f8d2a9008e3af9e`});var d=new s(`
    mutation HoldSlot($input: HoldSlotInput!) {
  holdSlot(input: $input) {
    __typename
    ... on SlotHeld {
      hold {
        id
        slug
        start
        end
        durationMinutes
        expiresAt
      }
    }
    ... on SlotUnavailable {
      message
      start
      durationMinutes
    }
    ... on InvalidHoldInput {
      message
      errors {
        field
        code
        message
      }
    }
    ... on MeetingLinkNotFound {
      message
      slug
    }
    ... on UpstreamUnavailable {
      message
      retryAfterSeconds
    }
  }
}
    `,{hash:`sha256:c293faa93f37eba96e3170f7d230f4eeddff161bd6074c3ffa903c82ef5830ad`});new s(`
    query ListMeetingLinks($first: Int = 20, $after: String, $name: String, $type: LinkType, $organizerUserId: String) {
  meetingLinks(
    first: $first
    after: $after
    name: $name
    type: $type
    organizerUserId: $organizerUserId
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        slug
        name
        type
        url
        organizerUserId
        memberUserIds
        isDefault
      }
    }
  }
}
    `,{hash:`sha256:e0b801da9f2b3a560398becbc5e526c33ccfd40a9a501b96876a633b4566c6b0`});var f=new s(`
    query MeetingLinkAvailability($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime, $durationMinutes: Int, $first: Int) {
  meetingLink(slug: $slug) {
    id
    availability(
      timeZone: $timeZone
      from: $from
      to: $to
      durationMinutes: $durationMinutes
      first: $first
    ) {
      timeZone
      durationsMinutes
      hasMore
      emptyReason
      fetchedAt
      stale
      slots {
        start
        end
        durationMinutes
      }
    }
    nextAvailableSlot(timeZone: $timeZone, durationMinutes: $durationMinutes) {
      start
      end
      durationMinutes
    }
  }
}
    `,{hash:`sha256:521000e20fa7f813a86b3981eb7d3f64556caf3f641ebca7b3b9a39021a2bf48`});new s(`
    query MeetingLinkBookingInfo($slug: String!, $timeZone: TimeZone!) {
  meetingLink(slug: $slug) {
    id
    slug
    name
    type
    bookingInfo(timeZone: $timeZone) {
      timeZone
      durationsMinutes
      bufferMinutes
      startIncrementMinutes
      bookingWindow {
        start
        end
        weeksToAdvertise
      }
      formFields {
        name
        label
        type
        fieldType
        required
        options {
          label
          value
        }
      }
      guestSettings {
        canAddGuests
        maxGuestCount
      }
      legalConsent {
        enabled
        processingConsentType
        processingConsentText
        checkboxes {
          communicationTypeId
          label
          required
        }
      }
      branding {
        companyName
        logoUrl
        primaryColor
      }
      members {
        userId
        fullName
        email
      }
      locale
      location
    }
  }
}
    `,{hash:`sha256:9bf216fbe65a2ebca8e2a966d184b319020e6515e727aa13305deea4d2fdca11`});var p=new s(`
    mutation ReleaseHold($id: ID!) {
  releaseHold(id: $id) {
    __typename
    ... on HoldReleased {
      id
    }
    ... on HoldNotFound {
      message
      id
    }
  }
}
    `,{hash:`sha256:d5d9f3db469eb8fb3a5e08c70cea0516695e60117289c68f3fa0e7d344dc636b`}),m=new s(`
    mutation RenewHold($id: ID!) {
  renewHold(id: $id) {
    __typename
    ... on SlotHeld {
      hold {
        id
        expiresAt
      }
    }
    ... on HoldRenewalLimitReached {
      message
      maxRenewals
      hold {
        id
        expiresAt
      }
    }
    ... on HoldNotFound {
      message
      id
    }
  }
}
    `,{hash:`sha256:e6928604049d9462cc979b42808821fec4fda21ca876c69ed501867fad01fe71`}),h=class extends Error{};async function g(e,t,n){let r;try{r=await fetch(e,{method:`POST`,headers:{"content-type":`application/json`,accept:`application/json`},body:JSON.stringify({query:t.toString(),variables:n})})}catch{throw new h(`The booking service could not be reached.`)}let i=await r.json().catch(()=>({}));if(i.errors?.length||i.data==null)throw new h(i.errors?.[0]?.message??`The booking service answered ${r.status}.`);return i.data}function _(e){return e.slice(0,10)}function v(e){return e.slice(0,7)}function y(e){let t=typeof Intl.supportedValuesOf==`function`?Intl.supportedValuesOf(`timeZone`):[];return Array.from(new Set([e,`UTC`,...t])).sort()}function b(){return Intl.DateTimeFormat().resolvedOptions().timeZone||`UTC`}function x(e,t){let n=(new Intl.DateTimeFormat(`en-US`,{timeZone:e,timeZoneName:`longOffset`}).formatToParts(t).find(e=>e.type===`timeZoneName`)?.value??`GMT`).replace(`GMT`,``);return n===``?`+00:00`:n}function S(e,t){return`${e}T00:00:00${x(t,new Date(`${e}T12:00:00Z`))}`}function C(e,t){let[n,r]=e.split(`-`).map(Number);return new Date(Date.UTC(n,r-1+t,1)).toISOString().slice(0,7)}var w={timeZone:`UTC`};function T(e,t){return new Date(`${e}-01T12:00:00Z`).toLocaleDateString(t,{...w,month:`long`,year:`numeric`})}function E(e,t){return new Date(`${e}T12:00:00Z`).toLocaleDateString(t,{...w,weekday:`long`,month:`long`,day:`numeric`,year:`numeric`})}function D(e,t,n){return new Date(e).toLocaleTimeString(n,{timeZone:t,hour:`numeric`,minute:`2-digit`})}function O(e,t,n){return new Date(e).toLocaleString(n,{timeZone:t,weekday:`long`,month:`long`,day:`numeric`,year:`numeric`,hour:`numeric`,minute:`2-digit`,timeZoneName:`short`})}function k(e){let t=new Date(`${e}-01T12:00:00Z`),n=(t.getUTCDay()+6)%7,r=Array.from({length:n},()=>null);for(let n=t;v(n.toISOString())===e;n=new Date(n.getTime()+864e5))r.push(n.toISOString().slice(0,10));for(;r.length%7!=0;)r.push(null);let i=[];for(let e=0;e<r.length;e+=7)i.push(r.slice(e,e+7));return i}var A=r(),j=[`2026-03-02`,`2026-03-03`,`2026-03-04`,`2026-03-05`,`2026-03-06`,`2026-03-07`,`2026-03-08`];function M(e,t,n){return new Date(`${e}T12:00:00Z`).toLocaleDateString(t,{timeZone:`UTC`,weekday:n})}function N({month:e,first:t,last:n,slots:r,day:i,locale:a,onMonth:o,onDay:s}){let c=new Map;for(let e of r??[])c.set(_(e.start),(c.get(_(e.start))??0)+1);let l=T(e,a);return(0,A.jsxs)(`section`,{className:`calendar`,"aria-labelledby":`month-heading`,"aria-busy":r===null,children:[(0,A.jsxs)(`div`,{className:`month-bar`,children:[(0,A.jsx)(`button`,{type:`button`,onClick:()=>o(C(e,-1)),disabled:e<=t,"aria-label":`Previous month`,children:`‹`}),(0,A.jsx)(`h3`,{id:`month-heading`,"aria-live":`polite`,children:l}),(0,A.jsx)(`button`,{type:`button`,onClick:()=>o(C(e,1)),disabled:e>=n,"aria-label":`Next month`,children:`›`})]}),(0,A.jsxs)(`table`,{children:[(0,A.jsx)(`thead`,{children:(0,A.jsx)(`tr`,{children:j.map(e=>(0,A.jsx)(`th`,{scope:`col`,abbr:M(e,a,`long`),children:M(e,a,`short`)},e))})}),(0,A.jsx)(`tbody`,{children:k(e).map(e=>(0,A.jsx)(`tr`,{children:e.map((e,t)=>e===null?(0,A.jsx)(`td`,{},`pad-${t}`):(0,A.jsx)(`td`,{children:(0,A.jsx)(P,{date:e,count:c.get(e)??0,chosen:e===i,loading:r===null,locale:a,onDay:s})},e))},e.find(e=>e!==null)??`pad`))})]})]})}function P({date:e,count:t,chosen:n,loading:r,locale:i,onDay:a}){let o=`${E(e,i)}: ${r?`loading`:t===0?`no times`:`${t} ${t===1?`time`:`times`} available`}`;return(0,A.jsx)(`button`,{type:`button`,className:t>0?`day offered`:`day`,disabled:t===0,"aria-pressed":n,"aria-label":o,onClick:()=>a(e),children:Number(e.slice(8,10))})}var F=class{offset;constructor(e){this.offset=Date.parse(e)-Date.now()}now(){return Date.now()+this.offset}};function ee({booked:e,zone:t,params:n,locale:r,link:i}){let o=(0,a.useRef)(null);(0,a.useEffect)(()=>o.current?.focus(),[]);let s=n.get(`organizerTimeZone`),c=s?`Organizer's time (${s.replaceAll(`_`,` `)})`:`UTC`;return(0,A.jsxs)(`section`,{className:`confirmation`,"aria-labelledby":`confirmed-heading`,children:[(0,A.jsx)(`h2`,{id:`confirmed-heading`,ref:o,tabIndex:-1,children:`You are booked`}),(0,A.jsx)(`p`,{children:e.subject||i}),(0,A.jsxs)(`dl`,{children:[(0,A.jsxs)(`dt`,{children:[`Your time (`,t.replaceAll(`_`,` `),`)`]}),(0,A.jsx)(`dd`,{children:O(e.start,t,r)}),(0,A.jsx)(`dt`,{children:c}),(0,A.jsx)(`dd`,{children:O(e.start,s||`UTC`,r)}),(0,A.jsx)(`dt`,{children:`Length`}),(0,A.jsxs)(`dd`,{children:[e.durationMinutes,` minutes`]}),e.location?(0,A.jsxs)(A.Fragment,{children:[(0,A.jsx)(`dt`,{children:`Where`}),(0,A.jsx)(`dd`,{children:e.location})]}):null,e.webConferenceUrl?(0,A.jsxs)(A.Fragment,{children:[(0,A.jsx)(`dt`,{children:`Conference link`}),(0,A.jsx)(`dd`,{children:(0,A.jsx)(`a`,{href:e.webConferenceUrl,target:`_blank`,rel:`noreferrer`,children:e.webConferenceUrl})})]}):null,e.guestEmails.length>0?(0,A.jsxs)(A.Fragment,{children:[(0,A.jsx)(`dt`,{children:`Guests`}),(0,A.jsx)(`dd`,{children:e.guestEmails.join(`, `)})]}):null]}),e.isOffline?(0,A.jsx)(`p`,{children:`The organizer's calendar is offline: they will confirm by email.`}):null]})}var I=6e4,L=`processingConsent`,R=new Set([`firstname`,`lastname`,`email`]),z=`The time you chose was taken while you were filling in the form, so nothing was booked. Your details are kept: please choose another time.`;function B(e,t){return Math.max(0,Date.parse(e.expiresAt)-t.now())}function V(e){let t=Math.ceil(e/1e3);return`${Math.floor(t/60)}:${String(t%60).padStart(2,`0`)}`}function H(e){let{endpoint:t,slug:n,info:r,zone:i,locale:o,clock:s,visitor:c,onVisitor:u,lost:d,onLost:f,onBack:p,onBooked:h}=e,[_,v]=(0,a.useState)(e.hold),[y,b]=(0,a.useState)(()=>B(e.hold,s)),[x,S]=(0,a.useState)({}),[C,w]=(0,a.useState)([]),[T,E]=(0,a.useState)({}),[D,k]=(0,a.useState)({}),[j,M]=(0,a.useState)(``),[N,P]=(0,a.useState)(!1),F=(0,a.useRef)(null),ee=(0,a.useRef)(null),H=(0,a.useRef)(!1),G=r.legalConsent,q=r.formFields.filter(e=>!R.has(e.name.toLowerCase()));(0,a.useEffect)(()=>ee.current?.focus(),[]),(0,a.useEffect)(()=>{let e=window.setInterval(()=>{let e=B(_,s);b(e),e===0?p(`Your hold on that time ran out, so it was offered again. Please choose a time.`,!1):e<I&&!H.current&&(H.current=!0,g(t,m,{id:_.id}).then(e=>{let t=e.renewHold;t.__typename===`HoldNotFound`?f(z):t.__typename===`SlotHeld`&&v({..._,expiresAt:t.hold.expiresAt})}).catch(()=>void 0).finally(()=>{H.current=!1}))},1e3);return()=>window.clearInterval(e)},[t,_,s,p,f]);let ne=async e=>{e.preventDefault();let r={};if(G.enabled&&G.processingConsentType===`REQUIRED_CHECKBOX`&&!T[L]&&(r[L]=`Please agree to this to book.`),Object.keys(r).length>0)k(r),M(`Please check the marked fields.`);else{P(!0),M(``);try{let e={slug:n,start:_.start,durationMinutes:_.durationMinutes,timeZone:i,firstName:c.firstName,lastName:c.lastName,email:c.email,guestEmails:C.filter(e=>e.trim()!==``),formFields:q.filter(e=>(x[e.name]??``)!==``).map(e=>({name:e.name,value:x[e.name]})),legalConsentResponses:G.enabled?G.checkboxes.map(e=>({communicationTypeId:e.communicationTypeId,consented:T[e.communicationTypeId]??!1})):[],holdId:_.id},r=JSON.stringify(e);F.current?.input!==r&&(F.current={input:r,key:crypto.randomUUID()});let a=(await g(t,l,{input:{...e,idempotencyKey:F.current.key}})).bookMeeting;switch(a.__typename){case`BookingConfirmed`:h(a);return;case`InvalidBookingInput`:k(Object.fromEntries(a.errors.map(e=>[e.field,e.message]))),M(`Nothing was booked: ${a.message}`);return;case`SlotUnavailable`:case`HoldExpired`:p(z,!1);return;default:M(`Nothing was booked: ${a.message} Please try again.`)}}catch(e){M(`Nothing was booked: ${e instanceof Error?e.message:String(e)}`)}finally{P(!1)}}},J=(e,t,n,r)=>(0,A.jsx)(U,{id:`field-${e}`,label:t,required:!0,error:D[e],children:t=>(0,A.jsx)(`input`,{id:`field-${e}`,type:n,autoComplete:r,required:!0,"aria-invalid":D[e]?!0:void 0,"aria-describedby":t,value:c[e],onChange:t=>u({...c,[e]:t.target.value})})});return(0,A.jsxs)(`section`,{className:`form`,"aria-labelledby":`form-heading`,children:[(0,A.jsx)(`h2`,{id:`form-heading`,ref:ee,tabIndex:-1,children:`Your details`}),(0,A.jsx)(`p`,{className:`chosen`,children:O(_.start,i,o)}),(0,A.jsxs)(`p`,{className:`hold`,role:`timer`,"aria-label":`Time left on your hold`,children:[`This time is held for you for `,V(y),`.`]}),d?(0,A.jsx)(`p`,{className:`lost`,role:`alert`,children:d}):null,(0,A.jsxs)(`form`,{noValidate:!0,onSubmit:e=>void ne(e),children:[J(`firstName`,`First name`,`text`,`given-name`),J(`lastName`,`Last name`,`text`,`family-name`),J(`email`,`Email`,`email`,`email`),q.map(e=>(0,A.jsx)(K,{field:e,value:x[e.name]??``,error:D[`formFields.${e.name}`],onChange:t=>S({...x,[e.name]:t})},e.name)),r.guestSettings.canAddGuests?(0,A.jsx)(te,{max:r.guestSettings.maxGuestCount,guests:C,errors:D,onGuests:w}):null,G.enabled?(0,A.jsxs)(`fieldset`,{className:`consent`,children:[(0,A.jsx)(`legend`,{children:`Consent`}),G.communicationConsentText?(0,A.jsx)(`p`,{children:G.communicationConsentText}):null,G.checkboxes.map(e=>(0,A.jsx)(W,{id:`consent-${e.communicationTypeId}`,label:e.label,required:e.required,checked:T[e.communicationTypeId]??!1,error:D[`legalConsentResponses.${e.communicationTypeId}`],onChange:t=>E({...T,[e.communicationTypeId]:t})},e.communicationTypeId)),G.processingConsentText?(0,A.jsx)(`p`,{children:G.processingConsentText}):null,G.processingConsentType===`REQUIRED_CHECKBOX`?(0,A.jsx)(W,{id:`consent-processing`,label:G.processingConsentCheckboxLabel??`I agree to the processing of my data.`,required:!0,checked:T[L]??!1,error:D[L],onChange:e=>E({...T,[L]:e})}):null,G.privacyPolicyText?(0,A.jsx)(`p`,{children:G.privacyPolicyText}):null]}):null,(0,A.jsx)(`p`,{className:`summary-error`,role:`alert`,children:j}),(0,A.jsxs)(`div`,{className:`actions`,children:[(0,A.jsx)(`button`,{type:`button`,className:`secondary`,onClick:()=>p(``,!0),children:`Back to times`}),(0,A.jsx)(`button`,{type:`submit`,className:`primary`,disabled:N,children:N?`Booking…`:`Book this time`})]})]})]})}function U({id:e,label:t,required:n,error:r,children:i}){let a=`${e}-error`;return(0,A.jsxs)(`div`,{className:`control`,children:[(0,A.jsxs)(`label`,{htmlFor:e,children:[t,n?(0,A.jsx)(`span`,{className:`required`,children:` (required)`}):null]}),i(r?a:void 0),r?(0,A.jsx)(`p`,{className:`field-error`,id:a,children:r}):null]})}function W({id:e,label:t,required:n,checked:r,error:i,onChange:a}){let o=`${e}-error`;return(0,A.jsxs)(`div`,{className:`check`,children:[(0,A.jsx)(`input`,{id:e,type:`checkbox`,checked:r,"aria-required":n,"aria-invalid":i?!0:void 0,"aria-describedby":i?o:void 0,onChange:e=>a(e.target.checked)}),(0,A.jsxs)(`label`,{htmlFor:e,children:[t,n?(0,A.jsx)(`span`,{className:`required`,children:` (required)`}):null]}),i?(0,A.jsx)(`p`,{className:`field-error`,id:o,children:i}):null]})}var G={text:`text`,phonenumber:`tel`,number:`number`,date:`date`,email:`email`,file:`url`};function K({field:e,value:t,error:n,onChange:r}){let i=`form-${e.name}`,a=n?!0:void 0;return e.fieldType===`radio`||e.fieldType===`checkbox`&&e.options.length>0?(0,A.jsx)(q,{field:e,value:t,error:n,onChange:r}):e.fieldType===`booleancheckbox`||e.fieldType===`checkbox`?(0,A.jsx)(W,{id:i,label:e.label,required:e.required,checked:t===`true`,error:n,onChange:e=>r(e?`true`:``)}):(0,A.jsx)(U,{id:i,label:e.label,required:e.required,error:n,children:n=>{let o={id:i,required:e.required,"aria-invalid":a,"aria-describedby":n,value:t};return e.fieldType===`textarea`?(0,A.jsx)(`textarea`,{...o,rows:3,onChange:e=>r(e.target.value)}):e.fieldType===`select`?(0,A.jsxs)(`select`,{...o,onChange:e=>r(e.target.value),children:[(0,A.jsx)(`option`,{value:``,children:`Choose…`}),e.options.map(e=>(0,A.jsx)(`option`,{value:e.value,children:e.label},e.value))]}):(0,A.jsx)(`input`,{...o,type:G[e.fieldType]??`text`,onChange:e=>r(e.target.value)})}})}function q({field:e,value:t,error:n,onChange:r}){let i=e.fieldType===`checkbox`,a=new Set(t===``?[]:t.split(`;`)),o=`form-${e.name}-error`;return(0,A.jsxs)(`fieldset`,{className:`choices`,"aria-invalid":n?!0:void 0,"aria-describedby":n?o:void 0,children:[(0,A.jsxs)(`legend`,{children:[e.label,e.required?(0,A.jsx)(`span`,{className:`required`,children:` (required)`}):null]}),e.options.map(t=>(0,A.jsxs)(`label`,{children:[(0,A.jsx)(`input`,{type:i?`checkbox`:`radio`,name:`form-${e.name}`,value:t.value,checked:a.has(t.value),onChange:n=>{if(!i)return r(t.value);let o=new Set(a);return n.target.checked?o.add(t.value):o.delete(t.value),r(e.options.map(e=>e.value).filter(e=>o.has(e)).join(`;`))}}),t.label]},t.value)),n?(0,A.jsx)(`p`,{className:`field-error`,id:o,children:n}):null]})}function te({max:e,guests:t,errors:n,onGuests:r}){return(0,A.jsxs)(`fieldset`,{className:`guests`,children:[(0,A.jsxs)(`legend`,{children:[`Guests (up to `,e,`)`]}),t.map((e,i)=>(0,A.jsx)(U,{id:`guest-${i}`,label:`Guest ${i+1} email`,required:!1,error:n[`guestEmails[${i}]`],children:n=>(0,A.jsx)(`input`,{id:`guest-${i}`,type:`email`,value:e,"aria-describedby":n,onChange:e=>r(t.map((t,n)=>n===i?e.target.value:t))})},i)),n.guestEmails?(0,A.jsx)(`p`,{className:`field-error`,children:n.guestEmails}):null,t.length<e?(0,A.jsx)(`button`,{type:`button`,className:`secondary`,onClick:()=>r([...t,``]),children:`Add a guest`}):null]})}function ne(e,t){window.parent!==window&&window.parent.postMessage({type:e,...t},`*`)}function J(e){return typeof e==`object`&&!!e}var re=`x-graphql-event-stream-token`;function ie(e){if(e=e,e!==`next`&&e!==`complete`)throw Error(`Invalid stream event "${e}"`);return e}function ae(e,t){if(t)try{t=JSON.parse(t)}catch{throw Error(`Invalid stream data`)}if(e===`next`&&!t)throw Error(`Stream data must be an object for "next" events`);return t||null}var Y;(function(e){e[e.NewLine=10]=`NewLine`,e[e.CarriageReturn=13]=`CarriageReturn`,e[e.Space=32]=`Space`,e[e.Colon=58]=`Colon`})(Y||={});function oe(){let e,t,n,r=!1,i={event:``,data:``},a=[],o=new TextDecoder;return function(s){if(e===void 0)e=s,t=0,n=-1;else{let t=new Uint8Array(e.length+s.length);t.set(e),t.set(s,e.length),e=t}let c=e.length,l=0;for(;t<c;){r&&=(e[t]===Y.NewLine&&(l=++t),!1);let s=-1;for(;t<c&&s===-1;++t)switch(e[t]){case Y.Colon:n===-1&&(n=t-l);break;case Y.CarriageReturn:r=!0;case Y.NewLine:s=t}if(s===-1)break;if(l===s){if(i.event||i.data){if(!i.event)throw Error(`Missing message event`);let e=ie(i.event),t=ae(e,i.data);a.push({event:e,data:t}),i={event:``,data:``}}}else if(n>0){let t=e.subarray(l,s),r=o.decode(t.subarray(0,n)),a=n+(t[n+1]===Y.Space?2:1),c=o.decode(t.subarray(a));switch(r){case`event`:i.event=c;break;case`data`:i.data=i.data?i.data+`
`+c:c}}l=t,n=-1}if(l===c){e=void 0;let t=[...a];return a=[],t}l!==0&&(e=e.subarray(l),t-=l)}}function X(e){let{singleConnection:t=!1,lazy:n=!0,lazyCloseTimeout:r=0,onNonLazyError:i=console.error,generateID:a=function(){return`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.replace(/[xy]/g,e=>{let t=Math.random()*16|0;return(e==`x`?t:t&3|8).toString(16)})},retryAttempts:o=5,retry:s=async function(e){let t=1e3;for(let n=0;n<e;n++)t*=2;await new Promise(e=>setTimeout(e,t+Math.floor(Math.random()*2700+300)))},credentials:c=`same-origin`,referrer:l,referrerPolicy:u,onMessage:d,on:f}=e,p=e.fetchFn||fetch,m=e.abortControllerImpl||AbortController,h=(()=>{let e=!1,t=[];return{get disposed(){return e},onDispose(n){return e?(setTimeout(()=>n(),0),()=>{}):(t.push(n),()=>{t.splice(t.indexOf(n),1)})},dispose(){if(!e){e=!0;for(let e of[...t])e()}}}})(),g,_,v=0,y=null,b=0;async function x(){try{if(h.disposed)throw Error(`Client has been disposed`);return await(_??=(async()=>{var t,n;if(y){if(await s(b),g.signal.aborted)throw Error(`Connection aborted by the client`);b++}(t=f?.connecting)==null||t.call(f,!!y),g=new m;let r=h.onDispose(()=>g.abort());g.signal.addEventListener(`abort`,()=>{r(),_=void 0});let i=e,a=typeof i.url==`function`?await i.url(void 0):i.url;if(g.signal.aborted)throw Error(`Connection aborted by the client`);let o=typeof i.headers==`function`?await i.headers(void 0):i.headers??{};if(g.signal.aborted)throw Error(`Connection aborted by the client`);let v;try{v=await p(a,{signal:g.signal,method:`PUT`,credentials:c,referrer:l,referrerPolicy:u,headers:o})}catch(e){throw new Z(e)}if(v.status!==201)throw new Z(v);o[re]=await v.text();let x=await ce({signal:g.signal,headers:o,credentials:c,referrer:l,referrerPolicy:u,url:a,fetchFn:p,onMessage:e=>{var t;(t=f?.message)==null||t.call(f,e),d?.(e)}});return(n=f?.connected)==null||n.call(f,!!y),x.waitForThrow().catch(()=>_=void 0),x})())}catch(e){throw _=void 0,e}}t&&!n&&(async()=>{for(v++;;)try{let{waitForThrow:e}=await x();await e()}catch(e){if(h.disposed)return;if(!(e instanceof Z)||(_=void 0,!o||b>=o))return i?.(e);y=e}})();function S(i,S,C){if(!t){let t=new m,n=h.onDispose(()=>{n(),t.abort()});return(async()=>{var n,r,a,m;let h=null,g=0;for(;;)try{if(h){if(await s(g),t.signal.aborted)throw Error(`Connection aborted by the client`);g++}(n=f?.connecting)==null||n.call(f,!!h),(r=C?.connecting)==null||r.call(C,!!h);let o=e,_=typeof o.url==`function`?await o.url(i):o.url;if(t.signal.aborted)throw Error(`Connection aborted by the client`);let v=typeof o.headers==`function`?await o.headers(i):o.headers??{};if(t.signal.aborted)throw Error(`Connection aborted by the client`);let{getResults:y}=await ce({signal:t.signal,headers:{...v,"content-type":`application/json; charset=utf-8`},credentials:c,referrer:l,referrerPolicy:u,url:_,body:JSON.stringify(i),fetchFn:p,onMessage:e=>{var t,n;(t=f?.message)==null||t.call(f,e),(n=C?.message)==null||n.call(C,e),d?.(e)}});(a=f?.connected)==null||a.call(f,!!h),(m=C?.connected)==null||m.call(C,!!h);for await(let e of y())h=null,g=0,S.next(e);return t.abort()}catch(e){if(t.signal.aborted)return;if(!(e instanceof Z)||!o||g>=o)throw e;h=e}})().then(()=>S.complete()).catch(e=>S.error(e)),()=>t.abort()}v++;let w=new m,T=h.onDispose(()=>{T(),w.abort()});return(async()=>{let e=a();i={...i,extensions:{...i.extensions,operationId:e}};let t=null;for(;;){t=null;try{let{url:n,headers:r,getResults:a}=await x(),o;try{o=await p(n,{signal:w.signal,method:`POST`,credentials:c,referrer:l,referrerPolicy:u,headers:{...r,"content-type":`application/json; charset=utf-8`},body:JSON.stringify(i)})}catch(e){throw new Z(e)}if(o.status!==202)throw new Z(o);t=async()=>{let t;try{let i=new m,a=h.onDispose(()=>{a(),i.abort()});t=await p(n+`?operationId=`+e,{signal:i.signal,method:`DELETE`,credentials:c,referrer:l,referrerPolicy:u,headers:r})}catch(e){throw new Z(e)}if(t.status!==200)throw new Z(t)};for await(let t of a({signal:w.signal,operationId:e}))y=null,b=0,S.next(t);return t=null,w.abort()}catch(e){if(w.signal.aborted)return await t?.();if(!(e instanceof Z)||(n&&(_=void 0),!o||b>=o))throw w.abort(),e;y=e}finally{w.signal.aborted&&--v===0&&(isFinite(r)&&r>0?setTimeout(()=>{v||g.abort()},r):g.abort())}}})().then(()=>S.complete()).catch(e=>S.error(e)),()=>w.abort()}return{subscribe:S,iterate(e,t){let n=[],r={done:!1,error:null,resolve:()=>{}},i=S(e,{next(e){n.push(e),r.resolve()},error(e){r.done=!0,r.error=e,r.resolve()},complete(){r.done=!0,r.resolve()}},t),a=(async function*(){for(;;){for(n.length||await new Promise(e=>r.resolve=e);n.length;)yield n.shift();if(r.error)throw r.error;if(r.done)return}})();return a.throw=async e=>(r.done||(r.done=!0,r.error=e,r.resolve()),{done:!0,value:void 0}),a.return=async()=>(i(),{done:!0,value:void 0}),a},dispose(){h.dispose()}}}var Z=class extends Error{constructor(e){let t,n;se(e)?(n=e,t=`Server responded with `+e.status+`: `+e.statusText):t=e instanceof Error?e.message:String(e),super(t),this.name=this.constructor.name,this.response=n}};function se(e){return J(e)&&typeof e.ok==`boolean`&&typeof e.status==`number`&&typeof e.statusText==`string`}async function ce(e){let{signal:t,url:n,credentials:r,headers:i,body:a,referrer:o,referrerPolicy:s,fetchFn:c,onMessage:l}=e,u={},d={},f;try{f=await c(n,{signal:t,method:a?`POST`:`GET`,credentials:r,referrer:o,referrerPolicy:s,headers:{...i,accept:`text/event-stream`},body:a})}catch(e){throw new Z(e)}if(!f.ok)throw new Z(f);if(!f.body)throw Error(`Missing response body`);let p=null,m;return(async()=>{var e;try{let t=oe();for await(let n of le(f.body)){if(typeof n==`string`)throw p=Error(`Unexpected string chunk "${n}"`);let r;try{r=t(n)}catch(e){throw p=e}if(r)for(let t of r){try{l?.(t)}catch(e){throw p=e}let n=t.data&&`id`in t.data?t.data.id:``;switch(n in d||(d[n]=[]),t.event){case`next`:n?d[n].push(t.data.payload):d[n].push(t.data);break;case`complete`:d[n].push(`complete`);break;default:throw p=Error(`Unexpected message event "${t.event}"`)}(e=u[n])==null||e.proceed()}}if(Object.keys(u).length)throw Error(`Connection closed while having active streams`)}catch(e){p=!p&&Object.keys(u).length?new Z(e):e,m?.(p)}finally{Object.values(u).forEach(({proceed:e})=>e())}})(),{url:n,headers:i,waitForThrow:()=>new Promise((e,t)=>{if(p)return t(p);m=t}),async*getResults(e){let{signal:t,operationId:n=``}=e??{};try{for(;;){for(;d[n]?.length;){let e=d[n].shift();if(e===`complete`)return;yield e}if(p)throw p;if(t?.aborted)throw Error(`Getting results aborted by the client`);await new Promise(e=>{let r=()=>{t?.removeEventListener(`abort`,r),delete u[n],e()};t?.addEventListener(`abort`,r),u[n]={proceed:r}})}}finally{delete d[n]}}}}function le(e){return typeof Object(e)[Symbol.asyncIterator]==`function`?(e=e,e):(async function*(){let t=e.getReader(),n;do n=await t.read(),n.value!==void 0&&(yield n.value);while(!n.done)})()}var ue=null;function de(e,t,n){return ue??=X({url:e,singleConnection:!1,retryAttempts:5}),ue.subscribe({query:c.toString(),variables:{...t}},{next:e=>{e.data&&n(e.data.availabilityChanged)},error:()=>void 0,complete:()=>void 0})}function Q(e){return`${Date.parse(e.start)}/${e.durationMinutes}`}function fe({day:e,slots:t,zone:n,locale:r,heading:i,onSlot:a}){return e===null?(0,A.jsxs)(`section`,{className:`slots`,"aria-labelledby":`slots-heading`,children:[(0,A.jsx)(`h3`,{id:`slots-heading`,ref:i,children:`Times`}),(0,A.jsx)(`p`,{children:`Choose a day to see its times.`})]}):(0,A.jsxs)(`section`,{className:`slots`,"aria-labelledby":`slots-heading`,children:[(0,A.jsx)(`h3`,{id:`slots-heading`,ref:i,children:E(e,r)}),(0,A.jsxs)(`p`,{className:`zone-note`,children:[`Times in `,n.replaceAll(`_`,` `)]}),t.length===0?(0,A.jsx)(`p`,{children:`No times left on this day.`}):(0,A.jsx)(`ul`,{children:t.map(e=>(0,A.jsx)(`li`,{children:(0,A.jsxs)(`button`,{type:`button`,className:`slot`,"data-start":e.start,onClick:()=>a(e),children:[D(e.start,n,r),(0,A.jsxs)(`span`,{className:`visually-hidden`,children:[` `,`to `,D(e.end,n,r),`, `,n]})]})},Q(e)))})]})}var pe={accent:`--mg-accent`,background:`--mg-background`,text:`--mg-text`,radius:`--mg-radius`,font:`--mg-font`},me=/^[#\w\s.,()%-]{1,64}$/;function he(e){let t=/^#([0-9a-f]{6})$/i.exec(e);if(t===null)return null;let[n,r,i]=[0,2,4].map(e=>parseInt(t[1].slice(e,e+2),16)/255).map(e=>e<=.03928?e/12.92:((e+.055)/1.055)**2.4);return .2126*n+.7152*r+.0722*i}function ge(e,t){e.style.setProperty(`--mg-accent`,t);let n=he(t);n!==null&&e.style.setProperty(`--mg-on-accent`,n>.18?`#000000`:`#ffffff`)}function _e(e,t){let n=document.documentElement;t&&ge(n,t);for(let[t,r]of Object.entries(pe)){let i=e.get(t);i!==null&&me.test(i)&&(t===`accent`?ge(n,i):n.style.setProperty(r,i))}}var $=navigator.language||`en-US`,ve=``;function ye(e,t){return Date.parse(e)>=Date.parse(t)?e:t}function be(e,t){return Date.parse(e)<=Date.parse(t)?e:t}function xe(e,t,n){let r=new Set(t.removed.map(Q)),i=e.filter(e=>!r.has(Q(e))),a=new Set(i.map(Q)),o=t.added.filter(e=>e.durationMinutes===n&&!a.has(Q(e)));return[...i,...o].sort((e,t)=>Date.parse(e.start)-Date.parse(t.start))}function Se({data:e,params:t}){let n=(0,a.useMemo)(()=>new F(e.now),[e.now]),[r,i]=(0,a.useState)(()=>{let e=t.get(`timeZone`);return e&&y(b()).includes(e)?e:b()}),[o,s]=(0,a.useState)(void 0),[c,l]=(0,a.useState)(null),[m,x]=(0,a.useState)(null),[w,T]=(0,a.useState)(null),[E,D]=(0,a.useState)(null),[O,k]=(0,a.useState)(null),[j,M]=(0,a.useState)({kind:`choose`}),[P,I]=(0,a.useState)(``),[L,R]=(0,a.useState)(null),[z,B]=(0,a.useState)(()=>({firstName:t.get(`firstName`)??``,lastName:t.get(`lastName`)??``,email:t.get(`email`)??``})),V=(0,a.useRef)(null),U=(0,a.useRef)(null),W=o?.bookingInfo??null;(0,a.useEffect)(()=>{let n=!0;return g(e.endpoint,u,{slug:e.slug,timeZone:r}).then(e=>{if(!n)return;let r=e.meetingLink;s(r);let i=r?.bookingInfo;i&&(_e(t,i.branding?.primaryColor),x(e=>{if(e!==null&&i.durationsMinutes.includes(e))return e;let n=Number(t.get(`duration`));return i.durationsMinutes.includes(n)?n:i.durationsMinutes[0]}),T(e=>e??v(i.bookingWindow.start)))}).catch(e=>n&&l(e instanceof h?e.message:String(e))),()=>{n=!1}},[e.endpoint,e.slug,r,t]);let G=(0,a.useMemo)(()=>{if(W===null||w===null)return null;let e=ye(S(`${w}-01`,r),W.bookingWindow.start),t=be(S(`${C(w,1)}-01`,r),W.bookingWindow.end);return Date.parse(e)<Date.parse(t)?{from:e,to:t}:null},[W,w,r]),K=(0,a.useCallback)(async()=>{if(G===null||m===null){D([]);return}let t=await g(e.endpoint,f,{slug:e.slug,timeZone:r,from:G.from,to:G.to,durationMinutes:m});D(t.meetingLink?.availability?.slots??[])},[e.endpoint,e.slug,r,G,m]);(0,a.useEffect)(()=>{D(null),K().catch(e=>I(e instanceof Error?e.message:String(e)))},[K]);let q=(0,a.useRef)(null);q.current=j.kind===`form`?j.hold.start:null,(0,a.useEffect)(()=>{if(G!==null&&m!==null)return de(e.endpoint,{slug:e.slug,timeZone:r,...G},e=>{D(t=>t===null?t:xe(t,e,m));let t=e.reason===`BOOKED`||e.reason===`UPSTREAM_CHANGED`,n=q.current;t&&n!==null&&e.removed.some(e=>e.start===n)&&R(`This time has just been booked by someone else. Please go back and choose another time.`)})},[e.endpoint,e.slug,r,G,m]),(0,a.useEffect)(()=>{let e=U.current,t=V.current?.parentElement;if(e===null||O===null||!t)return;let n=Array.from(t.querySelectorAll(`button.slot`)),r=n.find(t=>t.dataset.start===e)??n[0];r&&(U.current=null,r.focus())});let[,te]=(0,a.useState)(0),J=e=>{U.current=ve,k(e),te(e=>e+1)},re=async t=>{I(``),R(null);try{let n=(await g(e.endpoint,d,{input:{slug:e.slug,start:t.start,durationMinutes:t.durationMinutes,timeZone:r}})).holdSlot;if(n.__typename===`SlotHeld`){M({kind:`form`,hold:n.hold}),ne(`meetings-gateway:slot-held`,{slug:e.slug,start:n.hold.start,end:n.hold.end,durationMinutes:n.hold.durationMinutes,expiresAt:n.hold.expiresAt});return}I(n.__typename===`SlotUnavailable`?`That time was just taken by someone else. Please choose another.`:n.message)}catch(e){I(e instanceof Error?e.message:String(e))}U.current=ve,await K().catch(()=>void 0)},ie=async(t,n)=>{let r=j.kind===`form`?j.hold:null;r!==null&&n&&await g(e.endpoint,p,{id:r.id}).catch(()=>void 0),await K().catch(()=>void 0),U.current=r?.start??ve,M({kind:`choose`}),R(null),I(t)},ae=t=>{M({kind:`booked`,booked:t}),ne(`meetings-gateway:booked`,{slug:e.slug,start:t.start,end:t.end,durationMinutes:t.durationMinutes,timeZone:t.timeZone})};if(c!==null&&o===void 0)return(0,A.jsxs)(`main`,{className:`page`,children:[(0,A.jsx)(`h1`,{children:`Booking is not available right now`}),(0,A.jsx)(`p`,{role:`alert`,children:c})]});if(o===void 0)return(0,A.jsx)(`main`,{className:`page`,"aria-busy":`true`,children:(0,A.jsx)(`h1`,{children:`Loading…`})});if(o===null||W===null)return(0,A.jsxs)(`main`,{className:`page`,children:[(0,A.jsx)(`h1`,{children:`No such booking page`}),(0,A.jsx)(`p`,{children:`Check the link you were given.`})]});let Y=W.members.map(e=>e.fullName??e.userId),oe=W.members.find(e=>e.userId===o.organizerUserId),X={first:v(W.bookingWindow.start),last:v(W.bookingWindow.end)},Z=E?.filter(e=>_(e.start)===O)??[];return(0,A.jsxs)(`main`,{className:`page`,children:[(0,A.jsxs)(`header`,{className:`summary`,children:[W.branding?.companyName?(0,A.jsx)(`p`,{className:`company`,children:W.branding.companyName}):null,(0,A.jsx)(`h1`,{children:W.welcomeTitle||o.name||`Book a meeting`}),(0,A.jsx)(`p`,{className:`organizer`,children:o.type===`PERSONAL_LINK`||Y.length===1?`with ${oe?.fullName??Y[0]??`the organizer`}`:`with ${Y.join(`, `)}`}),W.welcomeDescription?(0,A.jsx)(`p`,{children:W.welcomeDescription}):null,(0,A.jsxs)(`p`,{className:`durations`,children:[W.durationsMinutes.map(e=>`${e} min`).join(` · `),W.location?` · ${W.location}`:``]})]}),j.kind===`booked`?(0,A.jsx)(ee,{booked:j.booked,zone:r,params:t,locale:$,link:o.name??``}):j.kind===`form`?(0,A.jsx)(H,{endpoint:e.endpoint,slug:e.slug,info:W,hold:j.hold,zone:r,locale:$,clock:n,visitor:z,onVisitor:B,lost:L,onLost:R,onBack:(e,t)=>void ie(e,t),onBooked:ae}):(0,A.jsxs)(`section`,{"aria-labelledby":`choose-heading`,className:`choose`,children:[(0,A.jsx)(`h2`,{id:`choose-heading`,children:`Choose a time`}),(0,A.jsxs)(`div`,{className:`options`,children:[W.durationsMinutes.length>1?(0,A.jsxs)(`fieldset`,{className:`duration`,children:[(0,A.jsx)(`legend`,{children:`Duration`}),W.durationsMinutes.map(e=>(0,A.jsxs)(`label`,{children:[(0,A.jsx)(`input`,{type:`radio`,name:`duration`,value:e,checked:m===e,onChange:()=>x(e)}),e,` minutes`]},e))]}):null,(0,A.jsxs)(`label`,{className:`zone`,children:[`Time zone`,(0,A.jsx)(`select`,{value:r,onChange:e=>i(e.target.value),children:y(r).map(e=>(0,A.jsx)(`option`,{value:e,children:e.replaceAll(`_`,` `)},e))})]})]}),(0,A.jsx)(`p`,{className:`notice`,role:`status`,"aria-live":`polite`,children:P}),(0,A.jsxs)(`div`,{className:`columns`,children:[(0,A.jsx)(N,{month:w??X.first,first:X.first,last:X.last,slots:E,day:O,locale:$,onMonth:e=>{T(e),k(null)},onDay:J}),(0,A.jsx)(fe,{day:O,slots:Z,zone:r,locale:$,heading:V,onSlot:e=>void re(e)})]})]})]})}var Ce=document.getElementById(`root`);Ce!==null&&(0,o.createRoot)(Ce).render((0,A.jsx)(Se,{data:i(`page-data`),params:new URLSearchParams(location.search)}));